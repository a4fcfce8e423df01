// jemalloc's settings for `hub serve`, read by jemalloc at its start (linked into the hub only
// when it is linked with jemalloc: CMakeLists.txt, "the allocator of the executables").
//
// background_thread: jemalloc gives freed pages back to the system (its 10 s decay) only when
// some thread calls into the allocator, unless a background thread of its own does it. After
// a burst of directives the hub goes quiet with the burst's freed mailboxes, frames and queues
// still resident: 200 city-wide directives left about 500 MiB of such dirty pages in a hub
// holding about 360 MiB of live memory (sim/README.md, "hub-load"), and they stayed. With the
// background thread they are returned within the decay time whether or not the hub is busy.
// MALLOC_CONF in the environment still overrides any of this.

extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks for
const char* malloc_conf = "background_thread:true";
}
