//! The demo world behind the panel source traits: each fetch is the world at the clock's now.

use super::DemoWorld;
use crate::model::{DnsView, InstancesView, RuleSamples, TargetsView, WafView};
use crate::source::{SampleSource, Source, SourceError};
use futures::future::BoxFuture;
use std::sync::Arc;

/// One value serving every panel source of a session.
pub(super) struct DemoPanels {
    world: Arc<DemoWorld>,
}

impl DemoPanels {
    pub fn new(world: Arc<DemoWorld>) -> Self {
        DemoPanels { world }
    }
}

impl DemoWorld {
    /// The targets panel now.
    pub fn targets_view(&self) -> TargetsView {
        self.targets_view_at(&self.changes_snapshot(), self.now_ms())
    }

    /// The WAF panel now.
    pub fn waf_view(&self) -> WafView {
        self.waf_view_at(&self.changes_snapshot(), self.now_ms())
    }

    /// The Route53 panel (the zones do not change over time).
    pub fn dns_view(&self) -> DnsView {
        DnsView {
            unreadable: Vec::new(),
            zones: self.estate.zones.clone(),
        }
    }

    /// The instances panel now (states and status checks are steady in the demo; scheduled
    /// events follow the calendar).
    pub fn instances_view(&self) -> InstancesView {
        self.instances_view_at(self.now_ms())
    }

    pub(super) fn instances_view_at(&self, t_ms: i64) -> InstancesView {
        let now_secs = t_ms.div_euclid(1000);
        let mut instances = self.estate.instances.clone();
        for i in &mut instances {
            if let Some(name) = &i.name {
                i.events = super::estate::events_at(name, now_secs, self.origin);
            }
        }
        InstancesView {
            unreadable: vec![],
            instances,
        }
    }

    /// Sampled requests of one rule now.
    pub fn rule_samples(&self, acl_id: &str, rule: &str) -> Result<RuleSamples, SourceError> {
        self.samples_at(&self.changes_snapshot(), acl_id, rule, self.now_ms())
    }
}

impl Source<TargetsView> for DemoPanels {
    fn fetch(&self) -> BoxFuture<'_, Result<TargetsView, SourceError>> {
        Box::pin(async move {
            self.world.simulated_latency().await;
            Ok(self.world.targets_view())
        })
    }
}

impl Source<WafView> for DemoPanels {
    fn fetch(&self) -> BoxFuture<'_, Result<WafView, SourceError>> {
        Box::pin(async move {
            self.world.simulated_latency().await;
            Ok(self.world.waf_view())
        })
    }
}

impl Source<DnsView> for DemoPanels {
    fn fetch(&self) -> BoxFuture<'_, Result<DnsView, SourceError>> {
        Box::pin(async move {
            self.world.simulated_latency().await;
            Ok(self.world.dns_view())
        })
    }
}

impl Source<InstancesView> for DemoPanels {
    fn fetch(&self) -> BoxFuture<'_, Result<InstancesView, SourceError>> {
        Box::pin(async move {
            self.world.simulated_latency().await;
            Ok(self.world.instances_view())
        })
    }
}

impl SampleSource for DemoPanels {
    fn sampled_requests<'a>(
        &'a self,
        acl_id: &'a str,
        rule: &'a str,
    ) -> BoxFuture<'a, Result<RuleSamples, SourceError>> {
        Box::pin(async move {
            self.world.simulated_latency().await;
            self.world.rule_samples(acl_id, rule)
        })
    }
}
