//! The rule catalogue page: every rule the checker applies, as `episcope rules` lists it.

use episcope_core::check::RULES;
use leptos::prelude::*;

#[component]
pub fn RulesPage() -> impl IntoView {
    view! {
        <section class="card" data-testid="rules">
            <h1>"Rule catalogue"</h1>
            <p class="muted">{format!("{} rules. The same catalogue is printed by `episcope rules`.", RULES.len())}</p>
            <table class="table">
                <thead><tr><th>"Rule"</th><th>"Severity"</th><th>"Versions"</th><th>"What it checks"</th><th>"Why it matters"</th></tr></thead>
                <tbody>
                    {RULES.iter().map(|r| {
                        let versions: Vec<&str> = r.versions.iter().map(|v| v.as_str()).collect();
                        view! {
                            <tr data-testid="rule-row" data-rule=r.id>
                                <td><code>{r.id}</code></td>
                                <td><span class=format!("sev sev-{}", r.severity.as_str())>{r.severity.as_str()}</span></td>
                                <td>{versions.join(", ")}</td>
                                <td>{r.title}</td>
                                <td class="muted">{r.why}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
