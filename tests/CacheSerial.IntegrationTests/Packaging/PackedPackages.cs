using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;
using CacheSerial.TestSupport;

namespace CacheSerial.IntegrationTests.Packaging;

/// <summary>The packaging tests share one <c>dotnet pack</c> of the solution.</summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<PackedPackages>
{
    public const string Name = "Packaging";
}

/// <summary>
/// Packs the solution once (<c>--no-build</c>: the test run's own build output) into a temporary feed, under a version
/// unique to this run so that no copy in the machine's global packages folder can stand in for it.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "cacheserial-pack-" + Guid.NewGuid().ToString("N"));

    public string Version { get; } = string.Create(
        CultureInfo.InvariantCulture, $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}");

    public string Feed => Path.Combine(_root, "feed");

    /// <summary>Package id to .nupkg path, for every package the pack produced.</summary>
    public IReadOnlyDictionary<string, string> Packages { get; private set; } = new Dictionary<string, string>();

    /// <summary>Every file the pack wrote into the feed (a symbols package would show here).</summary>
    public IReadOnlyList<string> FeedFiles { get; private set; } = [];

    /// <summary>The projects under src/, each of which must become one package.</summary>
    public static IReadOnlyList<string> SourceProjects { get; } =
        [.. Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Order(StringComparer.Ordinal)];

    public async ValueTask InitializeAsync()
    {
        var run = await DotnetCli.RunAsync(
            RepositoryRoot.Path,
            ["pack", "CacheSerial.sln", "-c", Configuration, "--no-build", "-o", Feed, "-p:Version=" + Version,
                // the intermediate .nuspec files go with the feed, not into the projects' obj/ folders
                "-p:NuspecOutputPath=" + Path.Combine(_root, "nuspec") + Path.DirectorySeparatorChar],
            PackTimeout,
            TestContext.Current.CancellationToken);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet pack failed ({run})");
        }

        FeedFiles = [.. Directory.GetFiles(Feed).Select(Path.GetFileName).OfType<string>()];
        var suffix = "." + Version + ".nupkg";
        Packages = Directory.GetFiles(Feed, "*.nupkg")
            .ToDictionary(p => Path.GetFileName(p)[..^suffix.Length], p => p, StringComparer.Ordinal);
    }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        // A restore of the packed version (the README test) extracted it into the global packages folder; the version is
        // this run's own, so removing it touches nothing else.
        var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in Packages.Keys)
        {
            var extracted = Path.Combine(globalPackages, id.ToLowerInvariant(), Version.ToLowerInvariant());
            if (Directory.Exists(extracted))
            {
                Directory.Delete(extracted, recursive: true);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ZipArchive Open(string id)
    {
        Assert.True(Packages.TryGetValue(id, out var path), $"no {id} package in the feed: {string.Join(", ", FeedFiles)}");
        return ZipFile.OpenRead(path);
    }

    public static XElement Nuspec(ZipArchive package)
    {
        var entries = package.Entries.Where(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal)).ToList();
        var entry = Assert.Single(entries);
        using var stream = entry.Open();
        return Child(XDocument.Load(stream).Root!, "metadata");
    }

    /// <summary>The one child element with this local name (the nuspec namespace varies with the NuGet version).</summary>
    public static XElement Child(XElement parent, string name) =>
        Assert.Single(parent.Elements(), e => e.Name.LocalName == name);

    /// <summary>Package id to version, as pinned in Directory.Packages.props.</summary>
    public static Dictionary<string, string> CentralVersions() =>
        XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Packages.props")).Root!
            .Descendants("PackageVersion")
            .ToDictionary(v => (string)v.Attribute("Include")!, v => (string)v.Attribute("Version")!);
}
