// This repository's build: DindBuild runs the CI pipeline inside Docker-in-Docker (a private Docker daemon per run:
// build the image, run the tests in it, export the results to artifacts/, remove everything). './build.sh Help' lists
// the targets and parameters; dindbuild.json at the repository root holds this repository's defaults.
// Upgrade: change the version below (the recipe brings the DindBuild engine of the same version).
#load nuget:?package=DindBuild.Cake&version=DINDBUILD_VERSION

// Hooks (optional): change settings after the parameters are read, e.g.
//   DindRecipe.Configure(settings => settings.WithTestTimeout(TimeSpan.FromMinutes(10)));
// declare options of your own (DindBuild rejects unknown ones), read with Argument/HasArgument:
//   DindRecipe.AddOption("configuration", "Release or Debug");

// Your own targets: before or after DindBuild's, e.g.
//   Task("Lint").IsDependeeOf("BuildImage").Does(() => DotNetTool("format --verify-no-changes"));
//   Task("Publish").IsDependentOn("DindTest").Does(() => Information("tests passed in {0}", DindRecipe.Settings.HostArtifactsDirectory));
// Inside tasks: DindRecipe.Settings, DindRecipe.Log (DindBuild's log), DindRecipe.Cancellation (Ctrl+C, SIGTERM).

DindRecipe.Run(Argument("target", "DindTest"));
