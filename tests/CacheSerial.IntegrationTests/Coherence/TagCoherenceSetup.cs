using CacheSerial.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// The setups a tag removal or a clear must reach other processes in, each with the staleness bound docs/tags.md states
/// for it. Every node uses the native store on a connection of its own (as separate processes would).
/// </summary>
/// <param name="Name">The theory's name for it.</param>
/// <param name="Shape">Memory tier or not, its local lifetime, the tag refresh interval.</param>
/// <param name="Backplane">Whether nodes use <c>UseRedisBackplane</c>.</param>
/// <param name="Tracking">Whether the store arms <see cref="RedisCacheStoreOptions.ClientTracking"/>.</param>
/// <param name="Bound">How long after the removal returns another node may still read what it removed.</param>
/// <param name="BoundText">How <paramref name="Bound"/> follows from the options (for the report).</param>
internal sealed record TagCoherenceSetup(string Name, CoherenceNodeShape Shape, bool Backplane, bool Tracking, TimeSpan Bound, string BoundText)
{
    public const string NoMemory = "no memory tier, no backplane";
    public const string NoMemoryBackplane = "no memory tier + backplane";
    public const string MemoryBackplane = "memory tier + backplane";
    public const string MemoryTracking = "memory tier + client tracking";
    public const string MemoryBackplaneTracking = "memory tier + backplane + client tracking";
    public const string MemoryLocalOnly = "memory tier, no invalidation source";

    /// <summary>The refresh interval of the local-only setup: short, so its bound (interval + local lifetime) stays short.</summary>
    private static readonly TimeSpan LocalOnlyRefresh = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan LocalOnlyExpiration = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan DefaultRefresh = CacheSerialOptions.DefaultTagRefreshInterval;

    public static TheoryData<string> All => new() { NoMemory, NoMemoryBackplane, MemoryBackplane, MemoryTracking, MemoryBackplaneTracking, MemoryLocalOnly };

    /// <summary>Whether memory relies on an invalidation source (which must be proven to work before the test means anything).</summary>
    public bool Coherent => Shape.MemoryTier && (Backplane || Tracking);

    public static TagCoherenceSetup For(string name) => name switch
    {
        NoMemory => new(name, new CoherenceNodeShape(MemoryTier: false), false, false, DefaultRefresh, "TagRefreshInterval"),
        NoMemoryBackplane => new(name, new CoherenceNodeShape(MemoryTier: false), true, false, DefaultRefresh, "TagRefreshInterval: the backplane only publishes without a memory tier"),

        // The source's delivery lag; TagRefreshInterval is the documented bound when a message is lost (the lag is reported).
        MemoryBackplane => new(name, CoherenceNodeShape.Default, true, false, DefaultRefresh, "TagRefreshInterval (delivery lag when nothing is lost)"),
        MemoryTracking => new(name, CoherenceNodeShape.Default, false, true, DefaultRefresh, "TagRefreshInterval (delivery lag when nothing is lost)"),
        MemoryBackplaneTracking => new(name, CoherenceNodeShape.Default, true, true, DefaultRefresh, "TagRefreshInterval (delivery lag when nothing is lost)"),
        MemoryLocalOnly => new(
            name,
            new CoherenceNodeShape(LocalExpiration: LocalOnlyExpiration, Options: o => o.TagRefreshInterval = LocalOnlyRefresh),
            false,
            false,
            LocalOnlyRefresh + LocalOnlyExpiration,
            "TagRefreshInterval 500 ms + LocalExpiration 2 s"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown setup"),
    };

    /// <summary>Configures a node's store and sources against <paramref name="endpoint"/>.</summary>
    public Action<IServiceCollection, ICacheSerialBuilder> Configure(string endpoint) => (_, builder) =>
    {
        var configuration = endpoint + ",connectTimeout=2000,syncTimeout=5000,asyncTimeout=5000";
        builder.UseStackExchangeRedis(configuration, o => o.ClientTracking = Tracking);
        if (Backplane)
        {
            builder.UseRedisBackplane(configuration);
        }
    };

    /// <summary>Starts three nodes (A, B, C) of this setup and checks that each has the sources it should (and no others).</summary>
    public async Task<CoherenceCluster> StartAsync(string endpoint, CancellationToken cancellationToken)
    {
        var cluster = await CoherenceCluster.StartAsync(3, Configure(endpoint), cancellationToken, Shape);
        try
        {
            foreach (var node in cluster.Nodes)
            {
                Assert.Equal(Shape.MemoryTier, node.HasMemory);
                if (Coherent)
                {
                    Assert.True(node.Logged(CoherenceNode.SourceLiveEvent) >= 1, $"{node} never reported its source live");
                }
                else if (Shape.MemoryTier)
                {
                    Assert.True(node.Logged(LocalOnlyEvent) >= 1, $"{node}'s memory tier did not report itself local-only");
                }

                if (Tracking)
                {
                    Assert.True(
                        node.Logged(CoherenceSetup.TrackingArmedEvent) >= 1 && node.Logged(CoherenceSetup.TrackingUnsupportedEvent) == 0,
                        $"{node}: client tracking not armed: {node.LogLines(CoherenceSetup.TrackingUnsupportedEvent)}");
                }
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The hub's "memory tier is local-only" line.</summary>
    private const int LocalOnlyEvent = 7001;

    public override string ToString() => Name;
}
