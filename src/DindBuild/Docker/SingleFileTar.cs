using System.Formats.Tar;
using System.Text;

namespace DindBuild.Docker;

/// <summary>
/// A tar holding one small text file, for <c>docker cp</c>'s API (<see cref="IDockerContainers.PutArchiveAsync"/>):
/// a snapshot's marker, a compose override. In memory: these files are a few KiB.
/// </summary>
internal static class SingleFileTar
{
    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static MemoryStream Of(string name, string text)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = Readable, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
        }

        tar.Position = 0;
        return tar;
    }
}
