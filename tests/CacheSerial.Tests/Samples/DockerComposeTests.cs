using System.Text.Json;
using System.Text.RegularExpressions;
using CacheSerial.TestSupport;
using YamlDotNet.RepresentationModel;

namespace CacheSerial.Tests.Samples;

/// <summary>
/// There is no Docker engine where the tests run, so docker-compose.yml and the WebApi Dockerfile are checked by reading
/// them: the services, their ports and dependency, and that the Redis setting the compose file passes is the one the
/// sample actually reads.
/// </summary>
public sealed partial class DockerComposeTests
{
    private const string WebApiDirectory = "samples/CacheSerial.Samples.WebApi";

    private static readonly string RepoRoot = RepositoryRoot.Path;

    [Fact]
    public void Services_ComposeFile_AreRedisAndWebApi()
    {
        var services = Services();

        Assert.Equal(["redis", "webapi"], services.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order());
    }

    [Fact]
    public void RedisService_ComposeFile_RunsRedis7AlpineOnPort6379()
    {
        var redis = Service("redis");

        Assert.Equal("redis:7-alpine", Scalar(redis, "image"));
        Assert.Contains("6379:6379", Sequence(redis, "ports"));
    }

    [Fact]
    public void WebApiService_ComposeFile_PublishesPort8080AndDependsOnRedis()
    {
        var webapi = Service("webapi");

        Assert.Contains("8080:8080", Sequence(webapi, "ports"));
        Assert.Contains("redis", DependsOn(webapi));
    }

    [Fact]
    public void WebApiService_ComposeFile_BuildsTheSampleDockerfileFromTheRepoRoot()
    {
        var build = (YamlMappingNode)Service("webapi").Children[new YamlScalarNode("build")];

        Assert.Equal(".", Scalar(build, "context"));
        Assert.Equal($"{WebApiDirectory}/Dockerfile", Scalar(build, "dockerfile"));
        Assert.True(File.Exists(Path.Combine(RepoRoot, WebApiDirectory, "Dockerfile")), "the Dockerfile named by docker-compose.yml is missing");
    }

    [Fact]
    public void WebApiEnvironment_ComposeFile_SetsTheConnectionStringTheSampleReads()
    {
        var environment = Environment(Service("webapi"));
        var redisSettings = environment.Where(e => e.Key.Contains("Redis", StringComparison.OrdinalIgnoreCase)).ToList();
        var (name, value) = Assert.Single(redisSettings);

        // The environment configuration provider maps "__" to ":".
        var configurationKey = name.Replace("__", ":", StringComparison.Ordinal);
        Assert.Equal(ConnectionStringKeyReadBySample(), configurationKey);

        // And the value names the compose service and the port Redis listens on inside the network.
        Assert.Equal("redis:6379", value);
        Assert.Contains("redis", Services().Children.Keys.Select(k => ((YamlScalarNode)k).Value));
    }

    [Fact]
    public void WebApiAppSettings_Default_ConnectsToLocalRedisUnderTheKeyTheSampleReads()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot, WebApiDirectory, "appsettings.json")));
        var path = ConnectionStringKeyReadBySample().Split(':');

        var node = settings.RootElement;
        foreach (var segment in path)
        {
            Assert.True(node.TryGetProperty(segment, out node), $"appsettings.json has no '{string.Join(':', path)}'");
        }

        Assert.Equal("localhost:6379", node.GetString());
    }

    [Fact]
    public void Dockerfile_WebApiSample_BuildsOnSdkAndRunsOnAspNet10()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(RepoRoot, WebApiDirectory, "Dockerfile"));
        var stages = dockerfile.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, stages.Count);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 ", stages[0], StringComparison.Ordinal);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", stages[1], StringComparison.Ordinal);
        Assert.Contains(dockerfile, l => l.Contains($"dotnet publish {WebApiDirectory}/CacheSerial.Samples.WebApi.csproj", StringComparison.Ordinal));
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"CacheSerial.Samples.WebApi.dll\"]", dockerfile);
        Assert.Contains("EXPOSE 8080", dockerfile);
    }

    [Fact]
    public void Dockerfile_CopySources_ExistInTheRepoRoot()
    {
        var copies = File.ReadAllLines(Path.Combine(RepoRoot, WebApiDirectory, "Dockerfile"))
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.StartsWith("COPY --from", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(copies);

        foreach (var copy in copies)
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var source in parts[1..^1])
            {
                var path = Path.Combine(RepoRoot, source);
                Assert.True(File.Exists(path) || Directory.Exists(path), $"Dockerfile copies '{source}', which is not in the repository");
            }
        }
    }

    /// <summary>The configuration key the WebApi sample reads its Redis connection from, found in its source.</summary>
    private static string ConnectionStringKeyReadBySample()
    {
        var program = File.ReadAllText(Path.Combine(RepoRoot, WebApiDirectory, "Program.cs"));
        var match = Assert.Single(GetConnectionStringCall().Matches(program));
        return "ConnectionStrings:" + match.Groups["name"].Value;
    }

    private static YamlMappingNode Services()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(RepoRoot, "docker-compose.yml")))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)Assert.Single(yaml.Documents).RootNode;
        return (YamlMappingNode)root.Children[new YamlScalarNode("services")];
    }

    private static YamlMappingNode Service(string name) =>
        Services().Children.TryGetValue(new YamlScalarNode(name), out var node)
            ? (YamlMappingNode)node
            : throw new Xunit.Sdk.XunitException($"docker-compose.yml has no service '{name}'");

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    private static List<string?> Sequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? [.. ((YamlSequenceNode)value).Children.Select(c => ((YamlScalarNode)c).Value)]
            : [];

    /// <summary>depends_on in its short (list) or long (map of service to condition) form.</summary>
    private static List<string?> DependsOn(YamlMappingNode service) =>
        service.Children.TryGetValue(new YamlScalarNode("depends_on"), out var value)
            ? value switch
            {
                YamlSequenceNode list => [.. list.Children.Select(c => ((YamlScalarNode)c).Value)],
                YamlMappingNode map => [.. map.Children.Keys.Select(k => ((YamlScalarNode)k).Value)],
                _ => [],
            }
            : [];

    /// <summary>environment in its map form or its list of NAME=value form.</summary>
    private static List<KeyValuePair<string, string>> Environment(YamlMappingNode service) =>
        service.Children.TryGetValue(new YamlScalarNode("environment"), out var value)
            ? value switch
            {
                YamlMappingNode map => [.. map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ((YamlScalarNode)p.Value).Value ?? string.Empty))],
                YamlSequenceNode list => [.. list.Children.Select(c => ((YamlScalarNode)c).Value!.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p.Length > 1 ? p[1] : string.Empty))],
                _ => [],
            }
            : [];

    [GeneratedRegex("""GetConnectionString\(\s*"(?<name>[^"]+)"\s*\)""")]
    private static partial Regex GetConnectionStringCall();
}
