using System.Formats.Tar;

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

    public static MemoryStream AsTar()
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, Path.GetFileName(DindContainerSpecs.EntrypointPath))
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Text)),
            };
            writer.WriteEntry(entry);
        }

        tar.Position = 0;
        return tar;
    }
}
