//! Against a custom endpoint (an emulator, a proxy), requests go to that endpoint's host as
//! given. `StartLiveTail` asks the SDK to put `streaming-` before the host (AWS serves it from
//! its own host name): `streaming-127.0.0.1` names no machine. This interceptor drops the
//! prefix; it is installed only where an endpoint was given.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::EndpointPrefix;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Clone)]
pub struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "opsconsole::NoHostPrefix"
    }

    /// Runs after the operation stored its prefix and before the endpoint is resolved.
    fn modify_before_retry_loop(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().unset::<EndpointPrefix>();
        Ok(())
    }
}
