using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using CacheSerial.TestSupport;

namespace CacheSerial.IntegrationTests.Packaging;

/// <summary>
/// What `dotnet pack` of the solution produces: one package per project under src/ and nothing else, each with its
/// assembly (symbols embedded), XML docs, README, license, repository metadata and the dependencies its project declares.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageContentTests(PackedPackages packed)
{
    private const string TargetFramework = "net10.0";

    public static TheoryData<string> PackageIds => [.. PackedPackages.SourceProjects];

    [Fact]
    public void Pack_Solution_ProducesOnePackagePerSourceProjectAndNothingElse()
    {
        Assert.Equal(PackedPackages.SourceProjects, packed.Packages.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(
            PackedPackages.SourceProjects.Select(id => $"{id}.{packed.Version}.nupkg"),
            packed.FeedFiles.Order(StringComparer.Ordinal)); // no .snupkg: symbols are embedded in the dll
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Package_Files_AreTheAssemblyDocsReadmeAndNuspecOnly(string id)
    {
        using var package = packed.Open(id);
        var content = package.Entries.Select(e => e.FullName)
            .Where(name => !IsPackagingPlumbing(name))
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            new[] { $"{id}.nuspec", "README.md", $"lib/{TargetFramework}/{id}.dll", $"lib/{TargetFramework}/{id}.xml" }.Order(StringComparer.Ordinal),
            content);
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Package_Readme_IsTheProjectReadme(string id)
    {
        using var package = packed.Open(id);
        Assert.Equal("README.md", PackedPackages.Child(PackedPackages.Nuspec(package), "readme").Value);
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, "src", id, "README.md")), ReadAll(package, "README.md"));
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Package_Nuspec_HasIdVersionLicenseRepositoryAndDescription(string id)
    {
        using var package = packed.Open(id);
        var metadata = PackedPackages.Nuspec(package);
        string Value(string name) => PackedPackages.Child(metadata, name).Value;

        Assert.Equal(id, Value("id"));
        Assert.Equal(packed.Version, Value("version"));
        Assert.False(string.IsNullOrWhiteSpace(Value("authors")));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")));
        Assert.Contains("cache", Value("tags").Split(' '));

        var license = PackedPackages.Child(metadata, "license");
        Assert.Equal("expression", (string?)license.Attribute("type"));
        Assert.Equal("MIT", license.Value);

        var repository = PackedPackages.Child(metadata, "repository");
        Assert.Equal("git", (string?)repository.Attribute("type"));
        Assert.StartsWith("https://", (string?)repository.Attribute("url"), StringComparison.Ordinal);
        Assert.Equal((string?)repository.Attribute("url"), Value("projectUrl"));
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Package_Dependencies_AreTheProjectsReferencesAtTheirPinnedVersions(string id)
    {
        using var package = packed.Open(id);
        var actual = Dependencies(package);
        var (packages, projects) = DeclaredReferences(id);
        var pins = PackedPackages.CentralVersions();

        // Each PackageReference at its Directory.Packages.props pin, each src project reference at the packed version.
        var direct = packages.ToDictionary(p => p, p => pins[p]);
        foreach (var project in projects)
        {
            direct[project] = packed.Version;
        }

        foreach (var (dependency, version) in direct)
        {
            Assert.True(actual.TryGetValue(dependency, out var packedVersion), $"{id} lacks its dependency {dependency}");
            Assert.Equal(version, packedVersion);
        }

        // Transitive pinning (CentralPackageTransitivePinningEnabled) may repeat a referenced package's own dependencies,
        // at the same versions; anything else (an analyzer, a test library) must not become a dependency.
        var inherited = projects.SelectMany(p =>
        {
            using var referenced = packed.Open(p);
            return Dependencies(referenced).ToList();
        }).ToDictionary();
        foreach (var (dependency, version) in actual.Where(d => !direct.ContainsKey(d.Key)))
        {
            Assert.True(inherited.TryGetValue(dependency, out var expected), $"{id} depends on {dependency}, which its project does not reference");
            Assert.Equal(expected, version);
        }
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Package_Assembly_EmbedsItsPdbAndShipsMatchingDocs(string id)
    {
        using var package = packed.Open(id);
        using var pe = new PEReader(new MemoryStream(ReadAll(package, $"lib/{TargetFramework}/{id}.dll")));
        Assert.Contains(pe.ReadDebugDirectory(), e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
        Assert.Equal(id, pe.GetMetadataReader().GetString(pe.GetMetadataReader().GetAssemblyDefinition().Name));

        using var docsStream = new MemoryStream(ReadAll(package, $"lib/{TargetFramework}/{id}.xml"));
        var docs = XDocument.Load(docsStream).Root!;
        Assert.Equal(id, docs.Element("assembly")?.Element("name")?.Value);
        Assert.NotEmpty(docs.Element("members")?.Elements("member") ?? []);
    }

    private static bool IsPackagingPlumbing(string entry) =>
        entry.StartsWith("_rels/", StringComparison.Ordinal)
        || entry.StartsWith("package/services/metadata/", StringComparison.Ordinal)
        || entry == "[Content_Types].xml";

    private static byte[] ReadAll(ZipArchive package, string entryName)
    {
        var entry = package.GetEntry(entryName);
        Assert.True(entry is not null, $"{entryName} is not in the package");
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static Dictionary<string, string> Dependencies(ZipArchive package)
    {
        var groups = PackedPackages.Child(PackedPackages.Nuspec(package), "dependencies").Elements().ToList();
        var group = Assert.Single(groups);
        Assert.Equal(TargetFramework, (string?)group.Attribute("targetFramework"));
        return group.Elements().ToDictionary(d => (string)d.Attribute("id")!, d => (string)d.Attribute("version")!);
    }

    private static (List<string> Packages, List<string> Projects) DeclaredReferences(string id)
    {
        var project = XDocument.Load(Path.Combine(RepositoryRoot.Path, "src", id, id + ".csproj")).Root!;
        var packages = project.Descendants("PackageReference").Select(r => (string)r.Attribute("Include")!).ToList();
        var projects = project.Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(((string)r.Attribute("Include")!).Replace('\\', '/')))
            .ToList();
        return (packages, projects);
    }
}
