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

    // The types the quick start uses but does not declare, as a user's project would have them.
    private const string Stubs = """
        public sealed record Product(int Id, string Name);

        public interface IProductRepository
        {
            ValueTask<Product?> FindAsync(int id, CancellationToken cancellationToken);
        }

        public sealed class ProductRepository : IProductRepository
        {
            public ValueTask<Product?> FindAsync(int id, CancellationToken cancellationToken) =>
                ValueTask.FromResult(id == 1 ? new Product(1, "Tea") : null);
        }
        """;

    private readonly string _project = Path.Combine(Path.GetTempPath(), "cacheserial-quickstart-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void QuickStart_Readme_IsTheFirstCSharpBlockAfterTheHeading()
    {
        var code = ExtractQuickStart(File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "README.md")));

        Assert.StartsWith("using CacheSerial;", code, StringComparison.Ordinal);
        Assert.Contains("AddCacheSerial(", code, StringComparison.Ordinal);
        Assert.Contains("GetOrCreateAsync(", code, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuickStart_NewWebProjectOnPackedPackages_Builds()
    {
        var code = ExtractQuickStart(File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "README.md")));
        var redisVersion = PackedPackages.CentralVersions()["Microsoft.Extensions.Caching.StackExchangeRedis"];
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
                <PackageReference Include="CacheSerial" Version="{packed.Version}" />
                <PackageReference Include="CacheSerial.MessagePack" Version="{packed.Version}" />
                <PackageReference Include="Microsoft.Extensions.Caching.StackExchangeRedis" Version="{redisVersion}" />
              </ItemGroup>
            </Project>
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_project, "Program.cs"), code, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(_project, "Stubs.cs"), Stubs, TestContext.Current.CancellationToken);

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

    /// <summary>The code between the first fence after "## Quick start" and the fence that closes it.</summary>
    private static string ExtractQuickStart(string[] readme)
    {
        var heading = Array.IndexOf(readme, QuickStartHeading);
        Assert.True(heading >= 0, $"README.md has no '{QuickStartHeading}' heading");
        var open = Array.FindIndex(readme, heading + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        Assert.True(open > heading, "no code block after the quick start heading");
        Assert.Equal("```csharp", readme[open]);
        var close = Array.FindIndex(readme, open + 1, l => l == "```");
        Assert.True(close > open, "the quick start code block is not closed");
        return string.Join('\n', readme[(open + 1)..close]) + "\n";
    }
}
