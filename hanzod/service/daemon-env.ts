/**
 * Environment a long-running hanzod gets from whatever starts it as a daemon (the service unit or plist,
 * `hanzonode up`): settings that only take effect at process start.
 *
 * MALLOC_MMAP_THRESHOLD_: glibc serves large allocations (frame buffers) with mmap and gives them back on
 * free, but after freeing one it raises its threshold to that size, so later frames of up to ~1 MiB come from
 * the main heap and stay there. Under the hostile-frame fuzz (issue 16) that left hanzod at 1.57x its idle RSS a
 * minute after; with the threshold fixed at 128 KiB, 1.25x. Other C libraries ignore the variable.
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: "131072" };
