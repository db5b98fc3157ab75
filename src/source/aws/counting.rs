//! An SDK interceptor that counts every request the console makes (`ApiStats`), attempts and
//! retries alike, and the metrics each `GetMetricData` asks for.

use crate::source::stats::ApiStats;
use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Counting(pub Arc<ApiStats>);

/// Metrics one `GetMetricData` asks for, read from its input before it is serialised (the
/// input is gone by the time an attempt starts).
#[derive(Debug, Clone)]
struct MetricsAsked(u64);

impl Storable for MetricsAsked {
    type Storer = StoreReplace<Self>;
}

impl Intercept for Counting {
    fn name(&self) -> &'static str {
        "opsconsole::Counting"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context.input().downcast_ref::<GetMetricDataInput>() {
            let asked = input.metric_data_queries().len() as u64;
            cfg.interceptor_state().store_put(MetricsAsked(asked));
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service(), m.name()))
            .unwrap_or(("unknown", "unknown"));
        let metrics = cfg.load::<MetricsAsked>().map_or(0, |m| m.0);
        self.0.count(service, operation, metrics);
        Ok(())
    }
}
