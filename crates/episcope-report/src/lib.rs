//! The plain-language dataset report: one [`FullReport`] built from the checker's report, the
//! overview, the statistics and the stored stats ([`build_report`], or [`report_dataset`] from a
//! dataset tree); its charts as SVG ([`charts`]); one self-contained HTML file in English or
//! Japanese ([`render_html`]); and several reports side by side ([`render_compare_html`]).
//!
//! No web dependency: the web app calls it on the page's main thread, the CLI natively.

pub mod assemble;
pub mod charts;
pub mod compare;
pub mod html;
pub mod i18n;
pub mod problems;

pub use assemble::{build_report, report_dataset, ReportInputs, ReportOptions};
pub use compare::{compare_rows, render_compare_html, CompareRow};
pub use episcope_core::check::report::FullReport;
pub use html::{render_html, render_report_body};
pub use i18n::{format_date, format_decimal, format_duration, format_integer, Date, Lang, Msg, UnknownLang};
