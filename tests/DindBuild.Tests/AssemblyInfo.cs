using System.Runtime.Versioning;

// The integration tests start Linux containers and check Unix file modes; the suite runs on Linux only.
[assembly: SupportedOSPlatform("linux")]
