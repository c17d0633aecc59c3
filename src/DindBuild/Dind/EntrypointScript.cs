using DindBuild.Docker;

namespace DindBuild.Dind;

/// <summary>The entry script, packed as the one-file tar that <c>docker cp</c> puts into a created container.</summary>
internal static class EntrypointScript
{
    public static string Text
    {
        get
        {
            using var resource = typeof(EntrypointScript).Assembly.GetManifestResourceStream("dindbuild-entrypoint.sh")
                ?? throw new InvalidOperationException("the entry script is not embedded in the engine assembly");
            using var reader = new StreamReader(resource);
            return reader.ReadToEnd();
        }
    }

    public static MemoryStream AsTar() => SingleFileTar.Of(Path.GetFileName(DindContainerSpecs.EntrypointPath), Text, SingleFileTar.Executable);
}
