using CacheSerial.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// A StackExchange.Redis connection of its own, configured for fault tests, and RedisCache instances over it (built as the
/// fixture builds them: <see cref="RedisConnections.CreateCache"/>). The connection tolerates a server that is down at
/// start (AbortOnConnectFail off), gives up on a command after a few seconds, and retries connecting every half second,
/// so a client in front of a restarted server or a proxy back in Pass reconnects within seconds. Disposing closes it.
/// </summary>
public sealed class FaultRedisClient : IAsyncDisposable
{
    /// <summary>The RedisCache instance name of <see cref="Cache"/>.</summary>
    public const string DefaultInstanceName = "cacheserial-faults:";

    private readonly ConnectionMultiplexer _connection;

    private FaultRedisClient(ConnectionMultiplexer connection, string? instanceName)
    {
        _connection = connection;
        Cache = RedisConnections.CreateCache(connection, instanceName);
    }

    /// <summary>The connection (do not close it: <see cref="DisposeAsync"/> does).</summary>
    public IConnectionMultiplexer Connection => _connection;

    public IDatabase Database => _connection.GetDatabase();

    /// <summary>A RedisCache over <see cref="Connection"/> with the instance name given at connect.</summary>
    public IDistributedCache Cache { get; }

    /// <summary>
    /// The client options used by <see cref="ConnectAsync"/>, for a test that builds its own connection: AbortOnConnectFail
    /// off, Connect/Sync/Async timeouts 2 s, ConnectRetry 1, reconnect every 500 ms, keep-alive 1 s, admin commands on.
    /// </summary>
    public static ConfigurationOptions CreateOptions(string host, int port)
    {
        if (!LoopbackProbe.IsLoopback(host))
        {
            throw new ArgumentException($"Refusing to contact '{host}': the integration tests use loopback addresses only.", nameof(host));
        }

        return new ConfigurationOptions
        {
            EndPoints = { { host, port } },
            ClientName = "cacheserial-fault-tests",
            AbortOnConnectFail = false,
            ConnectTimeout = 2_000,
            SyncTimeout = 2_000,
            AsyncTimeout = 2_000,
            ConnectRetry = 1,
            ReconnectRetryPolicy = new LinearRetry(500),
            KeepAlive = 1,
            AllowAdmin = true, // CONFIG/CLIENT/INFO from tests; only ever against servers the tests started
        };
    }

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> (loopback only). Returns even when the server is
    /// unreachable (the connection keeps retrying); <paramref name="configure"/> may adjust the options first.
    /// </summary>
    public static async Task<FaultRedisClient> ConnectAsync(
        string host,
        int port,
        string? instanceName = DefaultInstanceName,
        Action<ConfigurationOptions>? configure = null)
    {
        var options = CreateOptions(host, port);
        configure?.Invoke(options);
        var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        return new FaultRedisClient(connection, instanceName);
    }

    /// <summary>Connects to the proxy (see <see cref="ConnectAsync(string, int, string?, Action{ConfigurationOptions}?)"/>).</summary>
    public static Task<FaultRedisClient> ConnectAsync(TcpFaultProxy proxy, string? instanceName = DefaultInstanceName, Action<ConfigurationOptions>? configure = null) =>
        ConnectAsync(proxy.Host, proxy.Port, instanceName, configure);

    /// <summary>Connects to the server (see <see cref="ConnectAsync(string, int, string?, Action{ConfigurationOptions}?)"/>).</summary>
    public static Task<FaultRedisClient> ConnectAsync(RedisProcess redis, string? instanceName = DefaultInstanceName, Action<ConfigurationOptions>? configure = null) =>
        ConnectAsync(redis.Host, redis.Port, instanceName, configure);

    /// <summary>Another RedisCache over the same connection (e.g. another instance name).</summary>
    public IDistributedCache CreateCache(string? instanceName) => RedisConnections.CreateCache(_connection, instanceName);

    /// <summary>
    /// PINGs until the server answers through this connection's reconnects (how a test waits for recovery after a
    /// fault); throws <see cref="TimeoutException"/> after <paramref name="bound"/>, an upper bound, not an expectation.
    /// </summary>
    public async Task PingUntilAnsweredAsync(TimeSpan bound, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(bound);
        Exception? last = null;
        while (true)
        {
            try
            {
                await Database.PingAsync().WaitAsync(limit.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
            {
                last = ex;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(100, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        throw new TimeoutException($"No PING answer through {Connection.ClientName} within {bound}; last error: {last?.Message ?? "none"}", last);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
