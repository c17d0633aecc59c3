using System.Runtime.Versioning;

// The integration tests start Linux containers and check Unix file modes; the suite runs on Linux only.
[assembly: SupportedOSPlatform("linux")]

// Three at a time, not one per core: the two engine lanes (EngineCollection) each run one test at a time and mostly
// wait on daemons, so on a 2-core CI machine the classes outside the lanes (scaffolding, engine fingerprint, the unit
// tests) took one of the two slots for six minutes and held the "engine" lane back until they were done.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
