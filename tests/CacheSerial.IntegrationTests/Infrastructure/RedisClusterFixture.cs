using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>
/// The Redis Cluster of the cluster tests (an xunit collection fixture: test classes in
/// <see cref="RedisClusterCollection"/> share it, and run one after another). Chosen in this order:
/// <list type="number">
/// <item>CACHESERIAL_REDIS_CLUSTER=host:port,host:port,... (loopback only): that cluster;</item>
/// <item><c>redis-server</c> and <c>redis-cli</c> on PATH: six child processes on free loopback ports (3 primaries,
/// 3 replicas) joined with <c>redis-cli --cluster create</c>, stopped by their pids at the end;</item>
/// <item>else the cluster tests skip with the reason, or fail when CACHESERIAL_REQUIRE_REDIS is set.</item>
/// </list>
/// The fixture itself never fails for a missing Redis: <see cref="Connection"/> skips (or fails) the test that asks for it,
/// so every test of the collection reports the reason.
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    /// <summary>Comma-separated host:port list of an existing cluster to use instead of starting one.</summary>
    public const string ClusterVariable = "CACHESERIAL_REDIS_CLUSTER";

    private RedisClusterNodes? _nodes;
    private ConnectionMultiplexer? _connection;
    private string? _unavailable;

    /// <summary>host:port of every node.</summary>
    public IReadOnlyList<string> Endpoints { get; private set; } = [];

    /// <summary>How long starting the cluster took (processes, create, healthy, connected); zero for a named cluster.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>The line announced at start.</summary>
    public string Description { get; private set; } = string.Empty;

    /// <summary>The shared multiplexer over the cluster; skips (or fails, in CI) the test when there is no cluster. Do not close it.</summary>
    public IConnectionMultiplexer Connection
    {
        get
        {
            RequireCluster();
            return _connection!;
        }
    }

    /// <summary>Skips the calling test when no cluster is available, or fails it when CACHESERIAL_REQUIRE_REDIS is set.</summary>
    public void RequireCluster()
    {
        if (_unavailable is null)
        {
            return;
        }

        RedisClusterNodes.SkipOrFail(_unavailable);
    }

    /// <summary>A new multiplexer over the cluster, as another process would have (the caller disposes it).</summary>
    public Task<ConnectionMultiplexer> ConnectAsync(string clientName)
    {
        RequireCluster();
        return RedisClusterNodes.ConnectAsync(Endpoints, clientName);
    }

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var configured = Environment.GetEnvironmentVariable(ClusterVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var endpoints = new List<string>();
            foreach (var part in configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!LoopbackProbe.TryParseEndpoint(part, out var host, out _) || !LoopbackProbe.IsLoopback(host))
                {
                    throw new InvalidOperationException($"{ClusterVariable}='{configured}': '{part}' is not a loopback host:port.");
                }

                endpoints.Add(part);
            }

            Endpoints = endpoints;
            _connection = await RedisClusterNodes.ConnectAsync(Endpoints, "cacheserial-cluster-tests").ConfigureAwait(false);
            Description = $"Redis Cluster named by {ClusterVariable}: {string.Join(",", Endpoints)}";
            RedisFixture.Announce(Description);
            return;
        }

        var (server, cli, missing) = RedisClusterNodes.FindExecutables();
        if (missing is not null)
        {
            _unavailable = missing;
            RedisFixture.Announce($"Redis Cluster: {missing}; the cluster tests skip (or fail under {RedisFixture.RequireRedisVariable}).");
            return;
        }

        var clock = Stopwatch.StartNew();
        _nodes = await RedisClusterNodes.StartAsync(server!, cli!, cancellationToken).ConfigureAwait(false);
        try
        {
            Endpoints = _nodes.Endpoints;
            _connection = await _nodes.ConnectAsync("cacheserial-cluster-tests").ConfigureAwait(false);
            StartTime = clock.Elapsed;
            Description = $"Redis Cluster of 6 redis-server child processes (pids {string.Join(",", _nodes.Pids)}) on " +
                $"{string.Join(",", Endpoints)}, started in {StartTime.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";
            RedisFixture.Announce(Description);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await RedisConnections.CloseAsync(_connection).ConfigureAwait(false);
            _connection = null;
        }

        if (_nodes is not null)
        {
            await _nodes.DisposeAsync().ConfigureAwait(false);
            _nodes = null;
        }
    }
}

/// <summary>The cluster tests: one cluster for all of them, and they do not run in parallel with each other.</summary>
[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "Redis Cluster";
}
