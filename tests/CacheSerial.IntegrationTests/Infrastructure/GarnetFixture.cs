using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>
/// An in-process Garnet server of its own (whatever <see cref="RedisFixture"/> chose) on a free loopback port, with
/// RedisCache on top: the Garnet backend of the shared behaviour suites (an xunit assembly fixture).
/// </summary>
public sealed class GarnetFixture : IAsyncLifetime
{
    /// <summary>The RedisCache instance name of <see cref="Cache"/>.</summary>
    public const string InstanceName = "cacheserial-garnet:";

    private GarnetRedisServer? _server;
    private ConnectionMultiplexer? _connection;
    private IDistributedCache? _cache;

    /// <summary>host:port, always a loopback address.</summary>
    public string Endpoint => _server is { } s ? $"{s.Host}:{s.Port}" : throw NotStarted();

    public IDistributedCache Cache => _cache ?? throw NotStarted();

    public async ValueTask InitializeAsync()
    {
        _server = await GarnetRedisServer.StartAsync(TestContext.Current.CancellationToken).ConfigureAwait(false);
        try
        {
            _connection = await RedisConnections.ConnectAsync(_server.Host, _server.Port, "cacheserial-garnet-tests").ConfigureAwait(false);
            _cache = new GarnetDesyncRetryCache(RedisConnections.CreateCache(_connection, InstanceName), _connection);
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

        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
            _server = null;
        }
    }

    private static InvalidOperationException NotStarted() => new("The Garnet fixture has not started (or failed to start; see its error).");
}
