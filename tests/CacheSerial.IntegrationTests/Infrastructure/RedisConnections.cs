using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>How every fixture connects to a Redis-protocol server and puts a RedisCache on it (one home for both).</summary>
internal static class RedisConnections
{
    public static Task<ConnectionMultiplexer> ConnectAsync(string host, int port, string clientName) =>
        ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { host, port } },
            ClientName = clientName,
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
            AbortOnConnectFail = true,
            AllowAdmin = true, // INFO; the tests never flush or reconfigure the server
        });

    /// <summary>
    /// A new <see cref="RedisCache"/> over a shared connection. Typed as <see cref="IDistributedCache"/> on purpose:
    /// disposing a RedisCache closes its connection, which is the shared one; its fixture closes it at the end.
    /// </summary>
    public static IDistributedCache CreateCache(IConnectionMultiplexer connection, string? instanceName) =>
        new RedisCache(Options.Create(new RedisCacheOptions
        {
            InstanceName = instanceName,
            ConnectionMultiplexerFactory = () => Task.FromResult(connection),
        }));

    /// <summary>Closes a fixture's shared connection (the RedisCache instances on it are never disposed).</summary>
    public static async Task CloseAsync(ConnectionMultiplexer connection)
    {
        await connection.CloseAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
