using CacheSerial.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// A server without <c>CLIENT TRACKING</c> (Garnet): with <c>ClientTracking</c> on and a Redis backplane, tracking reports
/// itself unsupported (once, with the reason) and the backplane alone keeps the nodes coherent.
/// </summary>
public sealed class TrackingUnavailableCoherenceTests(GarnetFixture garnet)
{
    /// <summary>The native store's "ClientTracking cannot be used" line.</summary>
    private const int TrackingUnsupportedEvent = CoherenceSetup.TrackingUnsupportedEvent;

    /// <summary>The hub's "the server does not report key changes" line.</summary>
    private const int HubTrackingUnsupportedEvent = 7003;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClientTrackingOnGarnet_ReportsUnsupported_BackplaneKeepsNodesCoherent()
    {
        void Configure(IServiceCollection services, ICacheSerialBuilder builder) =>
            builder.UseStackExchangeRedis(garnet.Endpoint, o => o.ClientTracking = true).UseRedisBackplane(garnet.Endpoint);

        await using var cluster = await CoherenceCluster.StartAsync(3, Configure, Ct);
        foreach (var node in cluster.Nodes)
        {
            await Eventually.HoldsAsync(
                () => node.Logged(TrackingUnsupportedEvent) == 1 && node.Logged(HubTrackingUnsupportedEvent) == 1,
                $"{node} reports client tracking unsupported once", Ct);
        }

        await cluster[0].WriteAsync("k", "v1", Ct);
        await cluster.WarmAsync(Ct, ("k", "v1"));
        await cluster[0].WriteAsync("k", "v2", Ct);

        foreach (var node in cluster.Nodes.Skip(1))
        {
            await Eventually.HoldsAsync(async () => await node.ReadAsync("k", Ct) == "v2", $"{node} reads v2 written by A (through the backplane)", Ct);
        }

        Assert.Contains("TRACKING", cluster[1].LogLines(TrackingUnsupportedEvent), StringComparison.Ordinal);
    }
}
