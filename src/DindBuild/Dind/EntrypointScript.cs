namespace DindBuild.Dind;

/// <summary>
/// The entry script, written into the private directory that the DinD container bind-mounts (at
/// <see cref="DindContainerSpecs.EntrypointPath"/>): no archive upload between create and start (0.13 s a start, measured).
/// </summary>
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

    public const string FileName = "dindbuild-entrypoint.sh";

    /// <summary>Writes the script into <paramref name="privateDirectory"/> (owner-only, like the rest of it).</summary>
    public static void WriteTo(string privateDirectory) => IO.PrivateFiles.WriteAllText(Path.Combine(privateDirectory, FileName), Text);
}
