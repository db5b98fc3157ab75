//! The real binary in tmux on the demo world: a filter that selects a rule shows that rule's
//! sampled requests, so `w` counts them and `b` offers to block the top address, without a
//! single `Up` or `Down`.

use crate::support;

use support::tmux::Tmux;

#[test]
fn a_filter_selecting_a_rule_loads_its_samples_for_w_and_b() {
    let t = Tmux::start("filterblock", "");
    t.wait_for("ha-web-left");
    t.keys(&["2", "/"]);
    t.keys(&["-l", "xmlrpc"]);
    t.keys(&["Enter"]);
    // The samples are the selected rule's, and carry their age.
    let screen = t.wait_until(
        |s| s.contains("Sampled requests · block-xmlrpc") && s.contains("/xmlrpc.php"),
        "the rule's sampled requests",
    );
    assert!(screen.contains(" ago "), "no age on the samples:\n{screen}");
    t.keys(&["w"]);
    let who = t.wait_for("Client addresses");
    assert!(
        who.contains("sampled requests") && who.contains("of block-xmlrpc"),
        "w counts the rule's samples:\n{who}"
    );
    assert!(
        !who.contains("select a WAF rule whose sampled requests are shown"),
        "{who}"
    );
    t.keys(&["b"]);
    let asked = t.wait_for("Made ");
    assert!(
        asked.contains("Confirm") && asked.contains("in IP set") && asked.contains("shown"),
        "b offers the block:\n{asked}"
    );
    t.keys(&["Escape"]);
}
