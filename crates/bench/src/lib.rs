//! Kiln's benchmarks.
//!
//! * `native-hello` (a binary): the hello-world of `examples/hello-rust`
//!   written directly on hyper, the native baseline `scripts/bench/suite.sh`
//!   compares Kiln against.
//! * `benches/`: Criterion benches of Kiln's request path without a network.
//!
//! Nothing here is used by Kiln itself.
