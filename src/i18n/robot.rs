//! Strings of the robot model controls in the 3D view (URDF, joint mapping, angle unit).

use super::{Lang, Text};

catalogue! {
    /// Fixed strings of the robot controls.
    pub enum RobotText {
        UrdfLabel => "Robot model (URDF) ", "ロボットモデル（URDF） ";
        MeshesLabel => "its meshes folder ", "メッシュのフォルダ ";
        Joint => "Joint", "関節";
        DrivenBy => "Driven by", "対応する次元";
        Matched => "Matched", "対応付け";
        NotDriven => "— not driven (stays at 0) —", "— 対応なし（0 のまま） —";
        AnglesIn => "Angles in the dataset are in ", "データセットの角度の単位: ";
        Radians => "radians", "ラジアン";
        Degrees => "degrees", "度";
        InOrderGuess => " (in order — a guess, please check)", "（順番どおりの推定です。確認してください）";
    }
}

/// Sentences of the robot controls.
pub enum RobotSentence {
    /// The checkbox that shows the robot and its end-effector path.
    Show { robot: String },
    /// The joint table's summary line.
    JointsMatched { matched: u64, total: u64 },
    /// Meshes the URDF names that are not drawn.
    MeshesNotDrawn { count: u64 },
    /// The label of a joint's dimension selector.
    DimensionDriving { joint: String },
}

impl Text for RobotSentence {
    fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (RobotSentence::Show { robot }, Lang::En) => format!(" show {robot} (end effector by forward kinematics)"),
            (RobotSentence::Show { robot }, Lang::Ja) => format!(" {robot} を表示（順運動学による手先の軌跡）"),
            (RobotSentence::JointsMatched { matched, total }, Lang::En) => {
                format!("Joints: {matched} of {total} matched to dataset dimensions")
            }
            (RobotSentence::JointsMatched { matched, total }, Lang::Ja) => {
                format!("関節: {total} 個中 {matched} 個をデータセットの次元に対応付けました")
            }
            (RobotSentence::MeshesNotDrawn { count }, Lang::En) => format!(" · {count} mesh(es) not drawn"),
            (RobotSentence::MeshesNotDrawn { count }, Lang::Ja) => format!(" · 描画できないメッシュ {count} 個"),
            (RobotSentence::DimensionDriving { joint }, Lang::En) => format!("Dimension driving {joint}"),
            (RobotSentence::DimensionDriving { joint }, Lang::Ja) => format!("{joint} に対応する次元"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_translated() {
        super::super::assert_translated(RobotText::ALL);
        let matched = RobotSentence::JointsMatched { matched: 6, total: 6 };
        assert_eq!(matched.text(Lang::En), "Joints: 6 of 6 matched to dataset dimensions");
        assert!(matched.text(Lang::Ja).contains("6 個中 6 個"));
    }
}
