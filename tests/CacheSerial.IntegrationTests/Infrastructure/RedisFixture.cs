using System.Globalization;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>
/// The one Redis server of the integration tests (an xunit assembly fixture: take it as a constructor parameter).
/// It is chosen in this order and announced in the test output:
/// <list type="number">
/// <item>CACHESERIAL_REDIS=host:port (loopback only): that server;</item>
/// <item>a Docker engine answers (DOCKER_HOST or /var/run/docker.sock): a Redis container through Testcontainers;</item>
/// <item><c>redis-server</c> on PATH: a child process on a free loopback port, persistence off, stopped by its pid;</item>
/// <item>else an in-process Garnet server, so the tests pass on a machine with nothing installed.</item>
/// </list>
/// CACHESERIAL_REQUIRE_REDIS=1 forbids the Garnet fallback (and a Garnet server named by CACHESERIAL_REDIS): then a
/// missing Redis fails every integration test. Tests share the server; each uses its own key space (CacheHarness prefix).
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    /// <summary>host:port of a Redis server to use instead of starting one.</summary>
    public const string RedisVariable = "CACHESERIAL_REDIS";

    /// <summary>Set to 1 (or true) to require a real Redis: no Garnet fallback.</summary>
    public const string RequireRedisVariable = "CACHESERIAL_REQUIRE_REDIS";

    /// <summary>The RedisCache instance name of <see cref="Cache"/>; the raw Redis key of a store key is this + the store key.</summary>
    public const string DefaultInstanceName = "cacheserial-it:";

    /// <summary>The file, next to the test assembly, that receives the announcement lines of the last run.</summary>
    public const string AnnouncementFile = "redis-server.txt";

    private static readonly string AnnouncementPath = Path.Combine(AppContext.BaseDirectory, AnnouncementFile);

    private IRedisServer? _server;
    private ConnectionMultiplexer? _connection;
    private IDistributedCache? _cache;

    /// <summary>True when CACHESERIAL_REQUIRE_REDIS asks for a real Redis.</summary>
    public static bool RedisRequired =>
        Environment.GetEnvironmentVariable(RequireRedisVariable) is { } value
        && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    public RedisServerKind Kind => Server.Kind;

    /// <summary>host:port, always a loopback address.</summary>
    public string Endpoint => $"{Server.Host}:{Server.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The server's own INFO: <c>redis_version</c>, and <c>garnet_version</c> on Garnet.</summary>
    public IReadOnlyDictionary<string, string> ServerInfo { get; private set; } = new Dictionary<string, string>();

    /// <summary>The line printed at start, e.g. "Redis = redis-server 7.0.15 child process (pid 42) on 127.0.0.1:40000".</summary>
    public string Description { get; private set; } = string.Empty;

    /// <summary>Shared connection for direct inspection (TTL, raw HGET/SET...). Do not close it.</summary>
    public IConnectionMultiplexer Connection => _connection ?? throw NotStarted();

    public IDatabase Database => Connection.GetDatabase();

    /// <summary>A RedisCache over the shared connection with <see cref="DefaultInstanceName"/>; the store for most tests.</summary>
    public IDistributedCache Cache => _cache ?? throw NotStarted();

    private IRedisServer Server => _server ?? throw NotStarted();

    /// <summary>A new RedisCache over the shared connection (see <see cref="RedisConnections.CreateCache"/>).</summary>
    public IDistributedCache CreateCache(string? instanceName = DefaultInstanceName) =>
        RedisConnections.CreateCache(Connection, instanceName);

    /// <summary>The raw Redis key RedisCache uses for a CacheSerial store key (see CacheHarness.StoreKey).</summary>
    public static RedisKey RawKey(string storeKey, string? instanceName = DefaultInstanceName) => (instanceName ?? string.Empty) + storeKey;

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        File.Delete(AnnouncementPath);
        _server = await ChooseServerAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _connection = await RedisConnections.ConnectAsync(_server.Host, _server.Port, "cacheserial-integration-tests").ConfigureAwait(false);
            ServerInfo = await ReadInfoAsync(_connection.GetServer(_server.Host, _server.Port)).ConfigureAwait(false);
            var product = ServerInfo.TryGetValue("garnet_version", out var garnet)
                ? $"Garnet {garnet}"
                : $"redis-server {ServerInfo.GetValueOrDefault("redis_version", "(version unknown)")}";
            Description = $"Redis = {product} {_server.Origin} on {Endpoint}" +
                (RedisRequired ? " (real Redis required by " + RequireRedisVariable + ")" : string.Empty);
            Announce(Description);

            if (RedisRequired && garnet is not null)
            {
                throw new InvalidOperationException(
                    $"{RequireRedisVariable} is set but the server at {Endpoint} is Garnet {garnet}, not Redis.");
            }

            _cache = CreateCache();
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // RedisCache instances are not disposed: they share this connection, closed once here.
        if (_connection is not null)
        {
            await RedisConnections.CloseAsync(_connection).ConfigureAwait(false);
            _connection = null;
        }

        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
            _server = null;
        }
    }

    private static async Task<IRedisServer> ChooseServerAsync(CancellationToken cancellationToken)
    {
        var notes = new List<string>();

        // (a) A server named by the environment: use it or fail; never fall back from an explicit choice.
        var configured = Environment.GetEnvironmentVariable(RedisVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (!LoopbackProbe.TryParseEndpoint(configured.Trim(), out var host, out var port))
            {
                throw new InvalidOperationException($"{RedisVariable}='{configured}' is not host:port.");
            }

            if (!LoopbackProbe.IsLoopback(host))
            {
                throw new InvalidOperationException(
                    $"{RedisVariable}='{configured}': the integration tests only use loopback addresses (127.0.0.0/8, ::1, localhost).");
            }

            if (!await LoopbackProbe.PingAsync(host, port, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"{RedisVariable}='{configured}': no Redis answers PING there.");
            }

            return new ConfiguredRedisServer(host, port);
        }

        notes.Add($"{RedisVariable} not set");

        // (b) Docker, when an engine answers.
        var (dockerAnswers, dockerDetail) = await LoopbackProbe.DockerAnswersAsync(cancellationToken).ConfigureAwait(false);
        if (dockerAnswers)
        {
            try
            {
                return await ContainerRedisServer.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                notes.Add($"{dockerDetail} answered but Testcontainers failed: {ex.GetType().Name}: {ex.Message}");
                Announce($"Redis: {notes[^1]}; trying the next option.");
            }
        }
        else
        {
            notes.Add($"no Docker engine ({dockerDetail})");
        }

        // (c) redis-server on PATH.
        var redisServer = LoopbackProbe.FindOnPath("redis-server");
        if (redisServer is not null)
        {
            return await ChildProcessRedisServer.StartAsync(redisServer, cancellationToken).ConfigureAwait(false);
        }

        notes.Add("no redis-server on PATH");

        // (d) In-process Garnet, unless a real Redis is required.
        if (RedisRequired)
        {
            throw new InvalidOperationException(
                $"{RequireRedisVariable} is set but no Redis server was found ({string.Join("; ", notes)}). " +
                $"Install redis-server (apt-get install redis-server), start Docker, or set {RedisVariable}=127.0.0.1:6379.");
        }

        Announce($"Redis: {string.Join("; ", notes)}: falling back to an in-process Garnet server.");
        return await GarnetRedisServer.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyDictionary<string, string>> ReadInfoAsync(IServer server)
    {
        var info = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in await server.InfoAsync("server").ConfigureAwait(false))
        {
            foreach (var pair in group)
            {
                info[pair.Key] = pair.Value;
            }
        }

        return info;
    }

    /// <summary>
    /// Says which server was chosen: on the test host's console (shown by <c>dotnet run</c> of this project, and by
    /// <c>dotnet test</c> when the run fails: the .NET 10 SDK hides the console output of a test app that passes) and in
    /// <see cref="AnnouncementFile"/> next to the test assembly, which .ci/run prints.
    /// </summary>
    internal static void Announce(string message)
    {
        var line = "CacheSerial integration tests: " + message;
        Console.WriteLine(line);
        try
        {
            File.AppendAllText(AnnouncementPath, line + Environment.NewLine);
        }
        catch (IOException)
        {
            // The console line is enough.
        }
    }

    private static InvalidOperationException NotStarted() => new("The Redis fixture has not started (or failed to start; see its error).");
}
