using System.Collections.Immutable;
using System.Formats.Tar;
using System.Text;
using DindBuild.Artifacts;
using DindBuild.Docker;
using Serilog;

namespace DindBuild.Trust;

/// <summary>
/// Gives the test container the extra CAs: its image's own system bundle plus the extra certificates in
/// <see cref="BundlePath"/> (archive upload into the created container, before it starts: the same in every
/// mode, and in dind the file lands in the private daemon's world, never a host path), and the environment
/// variables the common runtimes read. Those that name a CA file replace the runtime's store rather than add
/// to it, which is why the file holds the image's bundle too, not only the extras.
/// </summary>
internal static class TestContainerTrust
{
    public const string Directory = "/dindbuild-ca";

    /// <summary>The image's system bundle plus the extra certificates.</summary>
    public const string BundlePath = Directory + "/ca-certificates.crt";

    /// <summary>Only the extra certificates, for runtimes that add a file to their own store.</summary>
    public const string ExtraPath = Directory + "/extra-ca-certificates.crt";

    /// <summary>An image's system bundle larger than this is not read (a real one is about 200 KiB).</summary>
    private const long MaxImageBundleBytes = 8L << 20;

    private const int MaxLinkHops = 8;

    /// <summary>
    /// SSL_CERT_FILE: OpenSSL (Python's ssl, Ruby, PHP), Go's crypto/x509 and .NET on Linux read their roots from
    /// it instead of the default file. REQUESTS_CA_BUNDLE: Python's requests and pip. CURL_CA_BUNDLE: the curl
    /// CLI. GIT_SSL_CAINFO: git over HTTPS. NODE_EXTRA_CA_CERTS: Node.js, added to its built-in roots.
    /// </summary>
    public static ImmutableArray<(string Name, string Value)> Variables { get; } =
    [
        ("SSL_CERT_FILE", BundlePath),
        ("REQUESTS_CA_BUNDLE", BundlePath),
        ("CURL_CA_BUNDLE", BundlePath),
        ("GIT_SSL_CAINFO", BundlePath),
        ("NODE_EXTRA_CA_CERTS", ExtraPath),
    ];

    /// <summary>The test environment with the variables added; a variable the user set with --test-env is left as given.</summary>
    public static ImmutableArray<string> WithVariables(ImmutableArray<string> environment)
    {
        var given = environment.Select(pair => pair.Split('=', 2)[0]).ToHashSet(StringComparer.Ordinal);
        return [.. environment, .. Variables.Where(variable => !given.Contains(variable.Name)).Select(variable => $"{variable.Name}={variable.Value}")];
    }

    /// <summary>Reads the created container's system bundle, composes it with <paramref name="extra"/> and puts both files in.</summary>
    public static async Task InstallAsync(IDockerContainers containers, string containerId, CaBundle extra, ILogger log, CancellationToken cancellationToken)
    {
        var (found, system) = await ImageBundleAsync(containers, containerId, cancellationToken).ConfigureAwait(false);
        var bundle = system.Add(extra);
        using var tar = Archive(bundle, extra);
        await containers.PutArchiveAsync(containerId, "/", tar, cancellationToken).ConfigureAwait(false);
        log.Information(
            "Test container trusts {Extra} extra CA certificate(s): {Bundle} ({System} from the image's {Source}, plus the extra ones), {Extras} (the extra ones); environment {Names}",
            extra.Count, BundlePath, system.Count, found ?? "(no system bundle found in the image)", ExtraPath, string.Join(", ", Variables.Select(variable => variable.Name)));
    }

    /// <summary>The first of the known system bundle files the image has, symlinks followed inside the container.</summary>
    private static async Task<(string? Path, CaBundle Bundle)> ImageBundleAsync(IDockerContainers containers, string containerId, CancellationToken cancellationToken)
    {
        foreach (var candidate in HostCaBundle.KnownFiles)
        {
            var path = candidate;
            for (var hop = 0; hop < MaxLinkHops; hop++)
            {
                var (text, link) = await ReadAsync(containers, containerId, path, cancellationToken).ConfigureAwait(false);
                if (text is not null)
                {
                    return (candidate, CaBundle.ParseLenient(text));
                }

                if (link is null)
                {
                    break;
                }

                path = link.StartsWith('/') ? link : System.IO.Path.GetDirectoryName(path)!.Replace('\\', '/') + "/" + link;
            }
        }

        return (null, CaBundle.Empty);
    }

    /// <summary>The file's text, or the target of the link at that path; (null, null) for anything else.</summary>
    private static async Task<(string? Text, string? Link)> ReadAsync(IDockerContainers containers, string containerId, string path, CancellationToken cancellationToken)
    {
        var archive = await containers.GetArchiveAsync(containerId, path, cancellationToken).ConfigureAwait(false);
        if (archive is null)
        {
            return (null, null);
        }

        await using var stream = new ZeroLengthReadSafeStream(archive);
        await using var reader = new TarReader(stream);
        var entry = await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
        if (entry is { EntryType: TarEntryType.SymbolicLink })
        {
            return (null, entry.LinkName);
        }

        if (entry is not { EntryType: TarEntryType.RegularFile or TarEntryType.V7RegularFile } || entry.Length > MaxImageBundleBytes || entry.DataStream is null)
        {
            return (null, null);
        }

        using var text = new StreamReader(entry.DataStream, Encoding.ASCII);
        return (await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false), null);
    }

    private static MemoryStream Archive(CaBundle bundle, CaBundle extra)
    {
        const UnixFileMode readOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            // A new top-level directory: extracting an entry for an existing one (/etc) would change its mode.
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, Directory.TrimStart('/') + "/") { Mode = readOnly | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute });
            foreach (var (path, content) in new[] { (BundlePath, bundle), (ExtraPath, extra) })
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path.TrimStart('/')) { Mode = readOnly, DataStream = new MemoryStream(content.ToPemBytes()) });
            }
        }

        tar.Position = 0;
        return tar;
    }
}
