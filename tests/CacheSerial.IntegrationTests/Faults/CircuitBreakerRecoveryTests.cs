using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// After an outage the breaker lets one call probe the store; whatever that call meets on a healthy Redis, the breaker
/// must close. A probe that lands on a WRONGTYPE key (another client's plain string) is such a call: Redis answered, so
/// the store is healthy.
/// </summary>
public sealed class CircuitBreakerRecoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TryGetAsync_ProbeReadsMissingKey_BreakerCloses()
    {
        // The control for the WRONGTYPE probes below: the same outage and recovery, a probe on an ordinary key.
        await using var rig = await OpenedThenReachableAsync();

        var probe = await rig.Cache.TryGetAsync<Sample>("missing", cancellationToken: Ct);

        Assert.False(probe.HasValue);
        Assert.False(rig.Breaker.IsOpen);
        Assert.Single(rig.Harness.LogRecords(1102));
        await rig.EventuallyHealthyAsync();
    }

    [Fact]
    public async Task TryGetAsync_ProbeReadsWrongTypeKey_BreakerClosesAfterwards()
    {
        await using var rig = await OpenedThenReachableAsync();

        var probe = await rig.Cache.TryGetAsync<Sample>("plain", cancellationToken: Ct); // the first call after the open period

        Assert.False(probe.HasValue);
        await rig.EventuallyHealthyAsync();
        Assert.False(rig.Breaker.IsOpen);
    }

    [Fact]
    public async Task SetAsync_ProbeWritesWrongTypeKey_BreakerClosesAndEntryReplaced()
    {
        await using var rig = await OpenedThenReachableAsync();

        await rig.Cache.SetAsync("plain", new Sample("v", 1), cancellationToken: Ct); // the first call after the open period

        await rig.EventuallyHealthyAsync();
        Assert.False(rig.Breaker.IsOpen);
        await rig.Cache.SetAsync("plain", new Sample("v", 1), cancellationToken: Ct);
        Assert.Equal(new Sample("v", 1), (await rig.Cache.TryGetAsync<Sample>("plain", cancellationToken: Ct)).Value);
    }

    /// <summary>
    /// A plain string at the entry key "plain"; then the proxy refuses until the breaker opens, passes again until the
    /// client reconnects, and the open period ends (waited out, not measured): the next call is the probe.
    /// </summary>
    private static async Task<FaultRig> OpenedThenReachableAsync()
    {
        var rig = await FaultRig.StartAsync();
        try
        {
            var raw = RedisFixture.RawKey(rig.Harness.StoreKey("plain"), FaultRedisClient.DefaultInstanceName);
            Assert.True(await rig.Client.Database.StringSetAsync(raw, "another client's string"));

            await rig.Proxy.SetModeAsync(ProxyMode.Refuse, Ct);
            for (var i = 0; rig.LogCount(1101) == 0; i++)
            {
                Assert.True(i < 20, "the breaker did not open");
                await rig.Cache.TryGetAsync<Sample>("other", cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
            }

            await rig.Proxy.SetModeAsync(ProxyMode.Pass, Ct);
            await rig.Client.PingUntilAnsweredAsync(FaultRig.Bound, Ct);
            await Task.Delay(FaultRig.BreakerDuration + TimeSpan.FromMilliseconds(500), Ct);
            Assert.True(rig.Breaker.IsOpen);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }
}
