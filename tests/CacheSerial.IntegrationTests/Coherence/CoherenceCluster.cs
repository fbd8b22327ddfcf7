using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// N nodes sharing one Redis and one key prefix (as N processes of one application would), each with its own connections
/// and memory tier, plus a reference cache without memory that reads what the store holds.
/// </summary>
internal sealed class CoherenceCluster : IAsyncDisposable
{
    private readonly List<CoherenceNode> _nodes = [];

    private CoherenceCluster(CoherenceNode reference) => Reference = reference;

    public IReadOnlyList<CoherenceNode> Nodes => _nodes;

    public CoherenceNode this[int index] => _nodes[index];

    /// <summary>Reads the store only (no memory tier): the truth the nodes are compared with.</summary>
    public CoherenceNode Reference { get; }

    /// <summary>Starts <paramref name="count"/> nodes named A, B, C... and waits until every one's invalidation source delivers.</summary>
    public static Task<CoherenceCluster> StartAsync(
        int count, Action<IServiceCollection, ICacheSerialBuilder> configure, CancellationToken cancellationToken, CoherenceNodeShape? shape = null) =>
        StartAsync(count, _ => configure, cancellationToken, shape);

    /// <summary>As above, each node configured by its index (the reference node gets index -1); <paramref name="shape"/>
    /// applies to every node (the reference node never has a memory tier).</summary>
    public static async Task<CoherenceCluster> StartAsync(
        int count, Func<int, Action<IServiceCollection, ICacheSerialBuilder>> configure, CancellationToken cancellationToken, CoherenceNodeShape? shape = null)
    {
        var prefix = CacheHarness.NewPrefix();
        var cluster = new CoherenceCluster(new CoherenceNode("reference", prefix, configure(-1), memoryTier: false, shape));
        try
        {
            for (var i = 0; i < count; i++)
            {
                cluster._nodes.Add(new CoherenceNode(((char)('A' + i)).ToString(), prefix, configure(i), shape: shape));
            }

            await cluster.WaitAllLiveAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until every node trusts its memory again (each source proven to deliver); nodes without memory have nothing to wait for.</summary>
    public Task WaitAllLiveAsync(CancellationToken cancellationToken) =>
        Eventually.HoldsAsync(() => _nodes.All(n => !n.HasMemory || n.Memory.IsTrusted), "every node's invalidation source delivers (memory trusted)", cancellationToken);

    /// <summary>
    /// Reads the entries on every node until each memory tier holds exactly them with the expected values, on two polls
    /// in a row: the report of the write that stored them may arrive just after a first read and evict it (rightly).
    /// </summary>
    public async Task WarmAsync(CancellationToken cancellationToken, params (string Key, string Value)[] entries)
    {
        foreach (var node in _nodes)
        {
            var held = 0;
            await Eventually.HoldsAsync(
                async () =>
                {
                    foreach (var (key, value) in entries)
                    {
                        if (await node.ReadAsync(key, cancellationToken) != value)
                        {
                            held = 0;
                            return false;
                        }
                    }

                    held = node.Memory.Count == entries.Length ? held + 1 : 0;
                    return held >= 2;
                },
                $"{node}'s memory holds the {entries.Length} entries written",
                cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await Reference.DisposeAsync();
    }
}
