using System.Security.Cryptography;
using CacheSerial.TestSupport;

namespace CacheSerial.IntegrationTests.Packaging;

/// <summary>
/// A new user's first step: the README's quick start, pasted into a new ASP.NET Core project that references the
/// packed packages (not the source projects), builds. The code block is read from README.md, so the test follows it.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class ReadmeQuickStartTests(PackedPackages packed) : IDisposable
{
    private const string QuickStartHeading = "## Quick start";

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    // The packages the quick start's project references, in the order of the csproj below.
    private static readonly string[] PackageIds = ["CacheSerial", "CacheSerial.StackExchangeRedis", "CacheSerial.MessagePack"];

    private readonly string _project = Path.Combine(Path.GetTempPath(), "cacheserial-quickstart-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void QuickStart_Readme_IsTheFirstCSharpBlockAfterTheHeading()
    {
        var code = ExtractQuickStart(File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "README.md")));

        Assert.StartsWith("using CacheSerial;", code, StringComparison.Ordinal);
        Assert.Contains("AddCacheSerial(", code, StringComparison.Ordinal);
        Assert.Contains("GetOrCreateAsync(", code, StringComparison.Ordinal);
        Assert.Contains("ValidateTypes(", code, StringComparison.Ordinal);

        // Two levels first: what most services want, shown before the one-level set-ups.
        Assert.Contains("UseMemoryTier(", code, StringComparison.Ordinal);
        Assert.Contains("UseRedisBackplane(", code, StringComparison.Ordinal);
    }

    [Fact]
    public void QuickStart_Readme_NamesThePackagesTheBuildReferences()
    {
        // The project below references exactly these packages: the README must tell a new user to add the same ones.
        var section = QuickStartSection(File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "README.md")));

        foreach (var package in PackageIds)
        {
            var command = $"dotnet add package {package}";
            Assert.Contains(section, line => line == command || line.StartsWith(command + " ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task QuickStart_NewWebProjectOnPackedPackages_Builds()
    {
        var code = ExtractQuickStart(File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "README.md")));
        Directory.CreateDirectory(_project);
        // No <clear/>: the machine's own sources stay, and the packed feed is added to them.
        await File.WriteAllTextAsync(Path.Combine(_project, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="cacheserial-packed" value="{packed.Feed}" />
              </packageSources>
            </configuration>
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_project, "QuickStart.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <WarningsNotAsErrors>NU1603</WarningsNotAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{PackageIds[0]}" Version="{packed.Version}" />
                <PackageReference Include="{PackageIds[1]}" Version="{packed.Version}" />
                <PackageReference Include="{PackageIds[2]}" Version="{packed.Version}" />
              </ItemGroup>
            </Project>
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_project, "Program.cs"), code, TestContext.Current.CancellationToken);

        var run = await DotnetCli.RunAsync(_project, ["build", "--disable-build-servers", "-nodeReuse:false"], BuildTimeout, TestContext.Current.CancellationToken);

        Assert.True(run.ExitCode == 0, $"the README quick start does not build against the packed packages ({run})");
        // The assembly in the output is the packed one (the unique version rules out any cached copy).
        using var package = packed.Open("CacheSerial");
        var packedDll = package.GetEntry("lib/net10.0/CacheSerial.dll")!;
        using var packedStream = packedDll.Open();
        var output = Path.Combine(_project, "bin", "Debug", "net10.0", "CacheSerial.dll");
        Assert.True(File.Exists(output), $"{output} was not copied to the build output");
        Assert.Equal(await SHA256.HashDataAsync(packedStream, TestContext.Current.CancellationToken), SHA256.HashData(File.ReadAllBytes(output)));
    }

    public void Dispose()
    {
        if (Directory.Exists(_project))
        {
            Directory.Delete(_project, recursive: true);
        }
    }

    /// <summary>The lines from "## Quick start" to the next "## " heading.</summary>
    private static string[] QuickStartSection(string[] readme)
    {
        var heading = Array.IndexOf(readme, QuickStartHeading);
        Assert.True(heading >= 0, $"README.md has no '{QuickStartHeading}' heading");
        var next = Array.FindIndex(readme, heading + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        return readme[heading..(next < 0 ? readme.Length : next)];
    }

    /// <summary>
    /// The code of the first C# block of the quick start section: the whole Program.cs, types included (a new user pastes
    /// it as it is, so nothing is added here).
    /// </summary>
    private static string ExtractQuickStart(string[] readme)
    {
        var section = QuickStartSection(readme);
        var open = Array.IndexOf(section, "```csharp");
        Assert.True(open > 0, "no C# code block in the quick start section");
        var close = Array.FindIndex(section, open + 1, l => l == "```");
        Assert.True(close > open, "the quick start code block is not closed");
        return string.Join('\n', section[(open + 1)..close]) + "\n";
    }
}
