using System.Diagnostics.Metrics;
using CacheSerial;
using CacheSerial.Internal;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers CacheSerial caches. The library never registers an <see cref="IDistributedCache"/> itself.</summary>
public static class CacheSerialServiceCollectionExtensions
{
    /// <summary>The name of the cache registered by <see cref="AddCacheSerial"/>, as it appears in logs.</summary>
    public const string DefaultCacheName = "default";

    /// <summary>
    /// Registers the default <see cref="ITypedCache"/> as a singleton over the registered <see cref="IDistributedCache"/>.
    /// Options, the presence of a store and the uniqueness of the registration are validated when the host starts.
    /// </summary>
    /// <remarks>
    /// Call it once: a second call fails at start (two configurations would otherwise merge into one cache). For a second
    /// cache use <see cref="AddKeyedCacheSerial"/>; to add configuration elsewhere, use
    /// <c>services.Configure&lt;CacheSerialOptions&gt;(o =&gt; ...)</c>.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder to choose codecs.</returns>
    public static ICacheSerialBuilder AddCacheSerial(this IServiceCollection services, Action<CacheSerialOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddCore(services, Options.Options.DefaultName, configure);
        if (!services.Any(d => d.ServiceType == typeof(ITypedCache) && !d.IsKeyedService))
        {
            services.AddSingleton<ITypedCache>(sp => Create(sp, Options.Options.DefaultName, serviceKey: null));
            services.AddSingleton<ICacheStoreHealth>(sp => HealthOf(sp.GetRequiredService<ITypedCache>()));
        }

        return new CacheSerialBuilder(services, Options.Options.DefaultName);
    }

    /// <summary>
    /// Registers a keyed <see cref="ITypedCache"/> with its own options and codecs, resolved with
    /// <c>[FromKeyedServices(name)]</c>. It uses the <see cref="IDistributedCache"/> registered under the same key if
    /// there is one, else the default one. Call it once per name: a second call for the same name fails at start.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The service key and options name.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder to choose codecs.</returns>
    public static ICacheSerialBuilder AddKeyedCacheSerial(this IServiceCollection services, string name, Action<CacheSerialOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name == DefaultCacheName)
        {
            throw new ArgumentException($"'{DefaultCacheName}' is the name of the cache registered by AddCacheSerial; choose another name.", nameof(name));
        }

        AddCore(services, name, configure);
        if (!services.Any(d => d.ServiceType == typeof(ITypedCache) && d.IsKeyedService && Equals(d.ServiceKey, name)))
        {
            services.AddKeyedSingleton<ITypedCache>(name, (sp, _) => Create(sp, name, serviceKey: name));
            services.AddKeyedSingleton<ICacheStoreHealth>(name, (sp, _) => HealthOf(sp.GetRequiredKeyedService<ITypedCache>(name)));
        }

        return new CacheSerialBuilder(services, name);
    }

    private static void AddCore(IServiceCollection services, string optionsName, Action<CacheSerialOptions>? configure)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => CacheMetrics.Create(sp.GetService<IMeterFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheSerialOptions>, CacheSerialOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheSerialOptions>, CacheRegistrationValidator>());
        services.AddSingleton(new CacheRegistration(optionsName)); // one per call: a second call for a name fails at start
        var options = services.AddOptions<CacheSerialOptions>(optionsName).ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddOptions<CodecOptions>(optionsName);
        services.AddOptions<StoreOptions>(optionsName);
        services.AddOptions<MemoryTierRegistration>(optionsName);
        services.AddOptions<BackplaneRegistration>(optionsName);
    }

    private static DefaultTypedCache Create(IServiceProvider services, string optionsName, string? serviceKey)
    {
        var options = services.GetRequiredService<IOptionsMonitor<CacheSerialOptions>>().Get(optionsName);
        var codecs = services.GetRequiredService<IOptionsMonitor<CodecOptions>>().Get(optionsName);
        var store = services.GetRequiredService<IOptionsMonitor<StoreOptions>>().Get(optionsName).Factory?.Invoke(services)
            ?? new DistributedCacheStore(
                (serviceKey is null ? null : services.GetKeyedService<IDistributedCache>(serviceKey))
                ?? services.GetService<IDistributedCache>()
                ?? throw new InvalidOperationException(
                    "CacheSerial needs an IDistributedCache: register one before resolving ITypedCache, for example " +
                    "services.AddStackExchangeRedisCache(o => o.Configuration = \"localhost:6379\") or services.AddDistributedMemoryCache(), " +
                    "or give the cache its own store with UseStackExchangeRedis(...) or UseStore(...)."));
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("CacheSerial") ?? NullLogger.Instance;
        var memory = services.GetRequiredService<IOptionsMonitor<MemoryTierRegistration>>().Get(optionsName);
        var backplane = services.GetRequiredService<IOptionsMonitor<BackplaneRegistration>>().Get(optionsName).Factory is { } backplaneFactory
            ? backplaneFactory(services) ?? throw new InvalidOperationException("The backplane factory given to UseBackplane returned null.")
            : null;
        return new DefaultTypedCache(
            serviceKey ?? DefaultCacheName,
            store,
            backplane,
            options,
            new CodecRegistry(codecs),
            memory.Enabled ? services.GetRequiredService<IOptionsMonitor<MemoryTierOptions>>().Get(optionsName) : null,
            memory.SharedTypes,
            services.GetRequiredService<TimeProvider>(),
            logger,
            services.GetRequiredService<CacheMetrics>());
    }

    private static ICacheStoreHealth HealthOf(ITypedCache cache) =>
        cache as ICacheStoreHealth ?? throw new InvalidOperationException(
            $"The registered ITypedCache ({cache.GetType().FullName}) does not report its store's health; register CacheSerial's own cache to resolve ICacheStoreHealth.");
}
