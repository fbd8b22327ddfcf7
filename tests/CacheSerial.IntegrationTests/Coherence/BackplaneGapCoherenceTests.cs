using CacheSerial.IntegrationTests.Faults;
using CacheSerial.StackExchangeRedis.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// Backplane messages lost on the way (dropped by a proxy in front of the Redis backplane): receivers see the gap in the
/// sender's numbering, at its next change or its next ping, and flush memory, so the lost change is not served stale.
/// </summary>
public sealed class BackplaneGapCoherenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> FollowedByAnotherChange => new() { true, false };

    [Theory]
    [MemberData(nameof(FollowedByAnotherChange))]
    public async Task PublishDropped_ReceiversDetectGapAndFlush_NoStaleValue(bool anotherChange)
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        void Configure(IServiceCollection services, ICacheSerialBuilder builder)
        {
            builder.UseStackExchangeRedis(redis.Endpoint);
            services.AddSingleton(_ => new DroppingBackplane(new RedisBackplane(
                new RedisConnection(ConfigurationOptions.Parse(redis.Endpoint + ",abortConnect=false"), -1), "proxied", NullLogger.Instance)));
            builder.UseBackplane(sp => sp.GetRequiredService<DroppingBackplane>());
        }

        await using var cluster = await CoherenceCluster.StartAsync(3, Configure, Ct);
        var (a, b, c) = (cluster[0], cluster[1], cluster[2]);
        var proxyOfA = a.Services.GetRequiredService<DroppingBackplane>();
        await a.WriteAsync("k", "v1", Ct);
        await a.WriteAsync("other", "o1", Ct);
        await cluster.WarmAsync(Ct, ("k", "v1"), ("other", "o1"));
        var gaps = new[] { b.Logged(CoherenceNode.GapEvent), c.Logged(CoherenceNode.GapEvent) };

        proxyOfA.DropNextChanges(1);
        await a.WriteAsync("k", "v2", Ct);
        await Eventually.HoldsAsync(() => proxyOfA.Dropped == 1, "the proxy drops A's message", Ct);
        if (anotherChange)
        {
            await a.WriteAsync("unrelated", "u", Ct); // its number shows the gap at once
        }

        foreach (var (node, before) in new[] { (b, gaps[0]), (c, gaps[1]) })
        {
            await Eventually.HoldsAsync(() => node.Logged(CoherenceNode.GapEvent) > before, $"{node} detects the gap in A's messages", Ct);
            Assert.Equal("v2", await node.ReadAsync("k", Ct));
            Assert.Equal("o1", await node.ReadAsync("other", Ct));
        }
    }
}
