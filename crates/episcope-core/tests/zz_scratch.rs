mod common;
mod fixtures;
use episcope_core::check::{check_dataset, CheckOptions};
use fixtures::{Fixture, Options, Version, FPS};

fn show(name: &str, f: Fixture) {
    let r = pollster::block_on(check_dataset(&f.tree(), "x", &CheckOptions { skip_hashes: true, ..Default::default() }, &mut |_| {}));
    println!("== {name}");
    for x in &r.findings { println!("  {} {:?} ×{} {}", x.rule, (x.location.path.as_deref(), x.location.episode, x.location.frame, x.location.feature.as_deref()), x.count, x.message); }
}

#[test]
fn scratch() {
    let v30 = || Fixture::build(&Options { episodes_per_file: 2, ..Options::clean(Version::V3_0, &[12, 15, 11]) });
    let mut f = v30(); f.edit_episode(1, "episode_index", |fr, _, v| if fr == 3 { 7.0 } else { v }); show("ep-index", f);
    let mut f = v30(); f.edit_episode(1, "frame_index", |fr, _, v| if fr >= 5 { v + 1.0 } else { v }); show("frame-index", f);
    let mut f = v30(); f.edit_episode(1, "index", |fr, _, v| if fr == 4 { v + 100.0 } else { v }); show("global-index", f);
    let mut f = v30(); f.edit_episode(2, "index", |_, _, v| v + 1.0); show("global-index shift ep2", f);
    let mut f = v30(); f.edit_episode(1, "task_index", |_, _, _| 9.0); show("task-index", f);
    let mut f = v30(); f.edit_episode(1, "timestamp", |fr, _, v| if fr == 5 { fr as f64 / FPS + 0.01 } else { v }); show("grid", f);
    let mut f = v30(); f.edit_episode(1, "observation.state", |fr, d, v| if d == 1 && fr == 3 { f64::NAN } else { v }); show("nan", f);
    let mut f = v30(); f.remove("data/chunk-000/file-000.parquet"); show("v3 data file missing", f);
    let mut f = Fixture::build(&Options::clean(Version::V2_1, &[12, 15, 11])); f.edit_episode(2, "index", |_, _, v| v + 1.0); show("v21 global-index shift ep2", f);
}
