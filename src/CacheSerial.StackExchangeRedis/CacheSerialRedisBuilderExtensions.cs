using CacheSerial;
using CacheSerial.StackExchangeRedis;
using CacheSerial.StackExchangeRedis.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Gives a CacheSerial cache the native Redis store: each entry is one Redis string (the envelope) with the entry's
/// lifetime as its TTL, read with one <c>GET</c> (or <c>GETEX</c> when the read names a sliding expiration) and written
/// with one <c>SET PX</c>. The cache then needs no <c>IDistributedCache</c>. <c>UseRedisBackplane</c> (whatever the store)
/// keeps the memory tiers of several processes coherent over Redis pub/sub.
/// </summary>
/// <remarks>
/// Every overload checks its arguments and the options <c>configure</c> sets at once: invalid ones throw
/// <see cref="ArgumentException"/> (<see cref="ArgumentNullException"/> for a null) from the call itself.
/// </remarks>
public static partial class CacheSerialRedisBuilderExtensions
{
    /// <summary>
    /// Uses a Redis connection the store creates from a StackExchange.Redis configuration string (such as
    /// <c>localhost:6379</c>) on first use, and disposes with the service provider.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configuration">A StackExchange.Redis configuration string; <c>abortConnect</c> is always turned off.</param>
    /// <param name="configure">Sets the store's options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="configuration"/> is empty, not a valid configuration, or names no endpoint; or an option is invalid.</exception>
    public static ICacheSerialBuilder UseStackExchangeRedis(this ICacheSerialBuilder builder, string configuration, Action<RedisCacheStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return UseOwned(builder, Parse(configuration), nameof(configuration), configure);
    }

    /// <summary>
    /// Uses a Redis connection the store creates from <paramref name="configuration"/> on first use, and disposes with
    /// the service provider. The options are copied; <see cref="ConfigurationOptions.AbortOnConnectFail"/> is turned off
    /// in the copy so that the application starts while Redis is down (the cache's circuit breaker covers the outage).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configuration">The connection's configuration.</param>
    /// <param name="configure">Sets the store's options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="configuration"/> names no endpoint, or an option is invalid.</exception>
    public static ICacheSerialBuilder UseStackExchangeRedis(this ICacheSerialBuilder builder, ConfigurationOptions configuration, Action<RedisCacheStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        return UseOwned(builder, configuration.Clone(), nameof(configuration), configure);
    }

    /// <summary>Uses a connection the application owns: the store never disposes it.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connection">The connection.</param>
    /// <param name="configure">Sets the store's options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static ICacheSerialBuilder UseStackExchangeRedis(this ICacheSerialBuilder builder, IConnectionMultiplexer connection, Action<RedisCacheStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connection);
        var options = BuildOptions(configure);
        return Register(builder, options, (_, name, logger) => new RedisConnection(connection, options.Database, name, logger));
    }

    /// <summary>
    /// Uses a connection from the application's services (for example an <see cref="IConnectionMultiplexer"/> singleton
    /// shared with other code), asked for when the cache is first resolved. The store never disposes it.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionFactory">Returns the connection.</param>
    /// <param name="configure">Sets the store's options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static ICacheSerialBuilder UseStackExchangeRedis(this ICacheSerialBuilder builder, Func<IServiceProvider, IConnectionMultiplexer> connectionFactory, Action<RedisCacheStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connectionFactory);
        var options = BuildOptions(configure);
        return Register(builder, options, (services, name, logger) => new RedisConnection(
            connectionFactory(services) ?? throw new InvalidOperationException("The connection factory given to UseStackExchangeRedis returned null."),
            options.Database,
            name,
            logger));
    }

    /// <summary>A configuration string parsed, or <see cref="ArgumentException"/> naming <c>configuration</c>.</summary>
    private static ConfigurationOptions Parse(string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        try
        {
            return ConfigurationOptions.Parse(configuration);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new ArgumentException($"Not a valid StackExchange.Redis configuration string: {ex.Message}", nameof(configuration), ex);
        }
    }

    private static ICacheSerialBuilder UseOwned(ICacheSerialBuilder builder, ConfigurationOptions configuration, string paramName, Action<RedisCacheStoreOptions>? configure)
    {
        if (configuration.EndPoints.Count == 0)
        {
            throw new ArgumentException("The Redis configuration names no endpoint (such as localhost:6379).", paramName);
        }

        var options = BuildOptions(configure);
        configuration.AbortOnConnectFail = false;
        return Register(builder, options, (_, name, logger) => new RedisConnection(configuration, options.Database, name, logger));
    }

    private static RedisCacheStoreOptions BuildOptions(Action<RedisCacheStoreOptions>? configure)
    {
        var options = new RedisCacheStoreOptions();
        configure?.Invoke(options);
        options.Validate(nameof(configure));
        return options;
    }

    /// <summary>
    /// The store is a keyed singleton of its own (one per call), so the service provider creates it once and disposes it
    /// with itself; the cache resolves it through <c>UseStore</c>.
    /// </summary>
    private static ICacheSerialBuilder Register(
        ICacheSerialBuilder builder, RedisCacheStoreOptions options, Func<IServiceProvider, string, ILogger, RedisConnection> connect)
    {
        var serviceKey = new object();
        var cacheName = builder.Name;
        builder.Services.AddKeyedSingleton(serviceKey, (services, _) =>
        {
            var logger = LoggerOf(services);
            return new RedisCacheStore(connect(services, cacheName, logger), options, cacheName, logger);
        });
        return builder.UseStore(services => services.GetRequiredKeyedService<RedisCacheStore>(serviceKey));
    }

    private static ILogger LoggerOf(IServiceProvider services) =>
        services.GetService<ILoggerFactory>()?.CreateLogger("CacheSerial") ?? NullLogger.Instance;
}
