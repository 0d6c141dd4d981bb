//! The handlers of a minimal CLAP host (clack-host) for the plugins' host
//! tests: it answers no request, since the tests drive everything.

use clack_host::prelude::*;

/// The host's shared handler.
pub struct TestHostShared;

impl SharedHandler<'_> for TestHostShared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

/// The host's handler types.
pub struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = TestHostShared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}
