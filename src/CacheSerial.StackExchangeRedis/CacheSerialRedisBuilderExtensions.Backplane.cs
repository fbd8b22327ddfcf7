using CacheSerial;
using CacheSerial.StackExchangeRedis.Internal;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

public static partial class CacheSerialRedisBuilderExtensions
{
    /// <summary>
    /// Keeps the memory tiers of the processes sharing this cache coherent over Redis pub/sub: each write and remove is
    /// published on <c>cacheserial:invalidation:&lt;the cache's key prefix&gt;</c> and the other processes evict the key
    /// from memory; lost messages are detected and flush memory. Works whatever the store is (the native store,
    /// <c>RedisCache</c>, any <c>IDistributedCache</c>). The connection is created from a StackExchange.Redis
    /// configuration string on first use and disposed with the service provider.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configuration">A StackExchange.Redis configuration string; <c>abortConnect</c> is always turned off.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="configuration"/> is empty, not a valid configuration, or names no endpoint.</exception>
    public static ICacheSerialBuilder UseRedisBackplane(this ICacheSerialBuilder builder, string configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return UseOwnedBackplane(builder, Parse(configuration), nameof(configuration));
    }

    /// <summary>
    /// As <see cref="UseRedisBackplane(ICacheSerialBuilder, string)"/>, with a connection created from a copy of
    /// <paramref name="configuration"/> (with <see cref="ConfigurationOptions.AbortOnConnectFail"/> off, so the application
    /// starts while Redis is down) on first use, and disposed with the service provider.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configuration">The connection's configuration.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="configuration"/> names no endpoint.</exception>
    public static ICacheSerialBuilder UseRedisBackplane(this ICacheSerialBuilder builder, ConfigurationOptions configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        return UseOwnedBackplane(builder, configuration.Clone(), nameof(configuration));
    }

    /// <summary>
    /// As <see cref="UseRedisBackplane(ICacheSerialBuilder, string)"/>, over a connection the application owns (the
    /// backplane never disposes it; it may be the one given to <c>UseStackExchangeRedis</c>).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connection">The connection.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder UseRedisBackplane(this ICacheSerialBuilder builder, IConnectionMultiplexer connection)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connection);
        return RegisterBackplane(builder, (_, _) => new RedisConnection(connection, -1));
    }

    /// <summary>
    /// As <see cref="UseRedisBackplane(ICacheSerialBuilder, string)"/>, over a connection from the application's services,
    /// asked for when the cache is first resolved. The backplane never disposes it.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionFactory">Returns the connection.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder UseRedisBackplane(this ICacheSerialBuilder builder, Func<IServiceProvider, IConnectionMultiplexer> connectionFactory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connectionFactory);
        return RegisterBackplane(builder, (services, _) => new RedisConnection(
            connectionFactory(services) ?? throw new InvalidOperationException("The connection factory given to UseRedisBackplane returned null."),
            -1));
    }

    private static ICacheSerialBuilder UseOwnedBackplane(ICacheSerialBuilder builder, ConfigurationOptions configuration, string paramName)
    {
        if (configuration.EndPoints.Count == 0)
        {
            throw new ArgumentException("The Redis configuration names no endpoint (such as localhost:6379).", paramName);
        }

        configuration.AbortOnConnectFail = false;
        return RegisterBackplane(builder, (_, _) => new RedisConnection(configuration, -1));
    }

    /// <summary>
    /// The backplane is a keyed singleton of its own (one per call), so the service provider disposes it, and an owned
    /// connection with it. Its connection logs nothing itself (6001-6004 are the store's): the backplane logs its
    /// subscription's losses as 6005/6006 and the cache what they mean for memory.
    /// </summary>
    private static ICacheSerialBuilder RegisterBackplane(ICacheSerialBuilder builder, Func<IServiceProvider, string, RedisConnection> connect)
    {
        var serviceKey = new object();
        var cacheName = builder.Name;
        builder.Services.AddKeyedSingleton(serviceKey, (services, _) =>
            new RedisBackplane(connect(services, cacheName), cacheName, LoggerOf(services)));
        return builder.UseBackplane(services => services.GetRequiredKeyedService<RedisBackplane>(serviceKey));
    }
}
