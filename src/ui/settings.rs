//! The ⚙ menu: the theme (as the system says, light, dark) and the presenter scale, which enlarges
//! everything for the back row of a room (every size in the style sheet is in rem). Both are kept in
//! the browser (`streamlab.settings`) and applied to `<html>` before the first paint of the app.

use yew::prelude::*;

use crate::scenario::forms::{Settings, SCALES, THEMES};

const KEY: &str = "streamlab.settings";

/// Reading and applying the settings in the browser.
trait InBrowser {
    fn load() -> Settings;
    fn save(self);
    fn apply(self);
}

impl InBrowser for Settings {
    fn load() -> Settings {
        storage().and_then(|s| s.get_item(KEY).ok().flatten()).map(|t| Settings::from_text(&t)).unwrap_or_default()
    }

    fn save(self) {
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, &self.to_text());
        }
    }

    /// Set `data-theme` and the root font size on `<html>`.
    fn apply(self) {
        let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) else { return };
        let _ = match self.theme {
            "system" => root.remove_attribute("data-theme"),
            theme => root.set_attribute("data-theme", theme),
        };
        let px = 15.0 * f64::from(self.scale) / 100.0;
        let _ = root.set_attribute("style", &format!("font-size: {px}px"));
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[component]
pub fn SettingsMenu() -> Html {
    let settings = use_state(Settings::load);
    let open = use_state(|| false);
    {
        let s = *settings;
        use_effect_with(s, |s| s.apply());
    }
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let set = |next: Settings| {
        let settings = settings.clone();
        Callback::from(move |_: Event| {
            next.save();
            settings.set(next);
        })
    };
    html! {
        <span class="menu">
            <button onclick={toggle} aria-label="Settings: theme and text size" aria-haspopup="dialog"
                aria-expanded={if *open { "true" } else { "false" }} title="Theme and text size">{ "⚙" }</button>
            if *open {
                <div class="popover" role="dialog" aria-label="Settings" data-testid="settings">
                    <fieldset>
                        <legend>{ "Theme" }</legend>
                        { for THEMES.iter().map(|(key, label)| html! {
                            <label><input type="radio" name="theme" checked={settings.theme == *key}
                                onchange={set(Settings { theme: key, ..*settings })} />{ format!(" {label}") }</label>
                        }) }
                    </fieldset>
                    <fieldset>
                        <legend>{ "Text size (presenter scale)" }</legend>
                        { for SCALES.iter().map(|n| html! {
                            <label><input type="radio" name="scale" checked={settings.scale == *n}
                                onchange={set(Settings { scale: *n, ..*settings })} />{ format!(" {n}%") }</label>
                        }) }
                    </fieldset>
                </div>
            }
        </span>
    }
}
