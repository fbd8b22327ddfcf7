using CacheSerial.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// How a node reaches Redis in these tests, named for theories. Every node connects on its own (as separate processes
/// would), so one node's connection trouble is not another's.
/// </summary>
internal static class CoherenceSetup
{
    /// <summary>The native store, memory kept coherent by <c>UseRedisBackplane</c>.</summary>
    public const string NativeBackplane = "native store + backplane";

    /// <summary>RedisCache (<c>AddStackExchangeRedisCache</c>) as the store, with <c>UseRedisBackplane</c>.</summary>
    public const string RedisCacheBackplane = "RedisCache + backplane";

    /// <summary>The native store with <see cref="RedisCacheStoreOptions.ClientTracking"/> and no backplane.</summary>
    public const string NativeTracking = "native store + client tracking";

    public static TheoryData<string> Backplanes => new() { NativeBackplane, RedisCacheBackplane };

    public static TheoryData<string> All => new() { NativeBackplane, RedisCacheBackplane, NativeTracking };

    public static TheoryData<string> NativeSources => new() { NativeBackplane, NativeTracking };

    /// <summary>Configures a node's store (and backplane) for <paramref name="setup"/> against <paramref name="endpoint"/>.</summary>
    public static Action<IServiceCollection, ICacheSerialBuilder> For(string setup, string endpoint) => setup switch
    {
        NativeBackplane => (_, builder) => builder.UseStackExchangeRedis(Configuration(endpoint)).UseRedisBackplane(Configuration(endpoint)),
        RedisCacheBackplane => (services, builder) =>
        {
            services.AddStackExchangeRedisCache(o =>
            {
                o.Configuration = Configuration(endpoint);
                o.InstanceName = "coherence:";
            });
            builder.UseRedisBackplane(Configuration(endpoint));
        },
        NativeTracking => (_, builder) => builder.UseStackExchangeRedis(Configuration(endpoint), o => o.ClientTracking = true),
        _ => throw new ArgumentOutOfRangeException(nameof(setup), setup, "unknown setup"),
    };

    /// <summary>The native store's "tracking armed" line.</summary>
    public const int TrackingArmedEvent = 6008;

    /// <summary>The native store's "ClientTracking cannot be used" line.</summary>
    public const int TrackingUnsupportedEvent = 6007;

    /// <summary>
    /// Fails unless every node's source of <paramref name="setup"/> really works (tracking armed, not reported
    /// unsupported), so a test cannot pass on a memory tier that was quietly left local-only.
    /// </summary>
    public static void AssertSourcesWork(string setup, CoherenceCluster cluster)
    {
        foreach (var node in cluster.Nodes)
        {
            Assert.True(node.Logged(CoherenceNode.SourceLiveEvent) >= 1, $"{node} never reported its source live");
            if (setup == NativeTracking)
            {
                Assert.True(
                    node.Logged(TrackingArmedEvent) >= 1 && node.Logged(TrackingUnsupportedEvent) == 0,
                    $"{node}: client tracking not armed: {node.LogLines(TrackingUnsupportedEvent)}");
            }
        }
    }

    /// <summary>Short timeouts so that a killed server is noticed and retried quickly.</summary>
    private static string Configuration(string endpoint) => endpoint + ",connectTimeout=2000,syncTimeout=5000,asyncTimeout=5000";
}
