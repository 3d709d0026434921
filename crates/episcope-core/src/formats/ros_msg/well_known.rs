//! ROS 2 message definitions bundled for the standard packages (std_msgs, geometry_msgs,
//! sensor_msgs, nav_msgs, tf2_msgs, …, as of Humble), for bags that carry none: rosbag2 sqlite3
//! bags from Humble and earlier store no `message_definitions`. Generated from an independent
//! source by `tests/recordings/ros2_definitions.py`.

use super::schema::normalise_type_name;

const ROS2_HUMBLE: &str = include_str!("ros2_humble.msgs");
/// Types one composed definition may pull in (the standard ones nest a few levels deep).
const MAX_TYPES: usize = 64;
const SEPARATOR: &str = "================================================================================";

/// A type's own fields, by its normalised name (`sensor_msgs/JointState`).
fn own_fields(type_name: &str) -> Option<&'static str> {
    let mut sections = ROS2_HUMBLE.split("\nMSG: ").skip(1);
    sections.find_map(|section| {
        let (name, body) = section.split_once('\n').unwrap_or((section, ""));
        (normalise_type_name(name) == type_name).then_some(body)
    })
}

/// The types a body refers to (`pkg/Type` field types; the bundled text qualifies every one, and
/// constants are always primitives).
fn referenced(body: &str) -> impl Iterator<Item = String> + '_ {
    body.lines().filter_map(|line| {
        let field_type = line.split_whitespace().next()?;
        let base = field_type.split(['[', '<']).next()?;
        base.contains('/').then(|| normalise_type_name(base))
    })
}

/// The full definition of a standard ROS 2 type, as `ros2 bag record` embeds it (the root's
/// fields, then each type it uses as a `MSG:` section), or None when it is not bundled.
pub fn bundled_definition(message_type: &str) -> Option<String> {
    let root = normalise_type_name(message_type);
    let mut text = own_fields(&root)?.to_string();
    let mut seen = vec![root.clone()];
    let mut queue: Vec<String> = referenced(&text).collect();
    while let Some(name) = queue.pop() {
        if seen.contains(&name) {
            continue;
        }
        if seen.len() >= MAX_TYPES {
            return None;
        }
        let body = own_fields(&name)?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("{SEPARATOR}\nMSG: {name}\n{body}"));
        queue.extend(referenced(body));
        seen.push(name);
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::super::schema::parse_schema;
    use super::*;

    #[test]
    fn standard_types_compose_and_parse() {
        for name in [
            "sensor_msgs/msg/JointState",
            "sensor_msgs/msg/Image",
            "sensor_msgs/msg/CompressedImage",
            "sensor_msgs/msg/Imu",
            "nav_msgs/msg/Odometry",
            "tf2_msgs/msg/TFMessage",
            "geometry_msgs/msg/PoseStamped",
            "geometry_msgs/msg/Twist",
            "std_msgs/msg/Float64MultiArray",
            "std_msgs/msg/Empty",
            "rcl_interfaces/msg/Log",
        ] {
            let text = bundled_definition(name).unwrap_or_else(|| panic!("{name} is not bundled"));
            let schema = parse_schema(name, "ros2msg", &text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!schema.types.is_empty(), "{name}");
        }
        let odometry = bundled_definition("nav_msgs/Odometry").unwrap();
        assert!(odometry.contains("MSG: geometry_msgs/Quaternion\nfloat64 x"), "{odometry}");
        assert_eq!(odometry.matches("MSG: std_msgs/Header").count(), 1);
    }

    #[test]
    fn every_bundled_type_parses() {
        let names: Vec<&str> =
            ROS2_HUMBLE.split("\nMSG: ").skip(1).map(|s| s.split('\n').next().unwrap_or_default()).collect();
        assert!(names.len() >= 100, "{}", names.len());
        for name in names {
            let text = bundled_definition(name).unwrap_or_else(|| panic!("{name}"));
            parse_schema(name, "ros2msg", &text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn unknown_types_are_not_bundled() {
        assert_eq!(bundled_definition("my_robot_msgs/msg/Gripper"), None);
    }
}
