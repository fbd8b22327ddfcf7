using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Tests.Internal;

/// <summary>
/// The circuit breaker in front of the store: consecutive failures open it, calls then skip the store, one probe after
/// the open period closes it or keeps it open; one log line per state change.
/// </summary>
public sealed class CircuitBreakerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reads_ThresholdFailuresInARow_OpenBreakerAndSkipStore()
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath: true, configure: Breaker);
        using var __ = h;
        chaos.ReadFault = StoreFault.Faulted;

        for (var i = 0; i < 10; i++)
        {
            Assert.False((await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct)).HasValue);
        }

        Assert.Equal(3, chaos.Reads);
        Assert.Equal(3, h.LogRecords(1001).Count);
        var opened = Assert.Single(h.LogRecords(1101));
        Assert.Equal(LogLevel.Warning, opened.Level);
    }

    [Fact]
    public async Task Writes_WhileOpen_SkippedAndCallerKeepsValue()
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath: false, configure: Breaker);
        using var __ = h;
        chaos.AllFaults = StoreFault.Faulted;
        for (var i = 0; i < 3; i++)
        {
            await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        }

        var value = await h.Cache.GetOrCreateAsync("k", _ => new ValueTask<int>(9), cancellationToken: Ct);
        await h.Cache.RemoveAsync("k", Ct);

        Assert.Equal(9, value);
        Assert.Equal(0, chaos.Writes);
        Assert.Equal(0, chaos.Removes);
        Assert.NotEmpty(h.LogRecords(1006));
    }

    [Fact]
    public async Task Probe_AfterOpenPeriodStoreHealthy_ClosesBreakerOnce()
    {
        var (h, chaos, time) = StoreDeadlineTests.Create(bufferPath: true, configure: Breaker);
        using var __ = h;
        await h.Cache.SetAsync("k", 4, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Faulted;
        for (var i = 0; i < 3; i++)
        {
            await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        }

        chaos.ReadFault = StoreFault.None;
        var whileOpen = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        time.Advance(TimeSpan.FromSeconds(10));
        var probe = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        var after = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.False(whileOpen.HasValue);
        Assert.Equal(4, probe.Value);
        Assert.Equal(4, after.Value);
        Assert.Single(h.LogRecords(1101));
        Assert.Single(h.LogRecords(1102));
    }

    [Fact]
    public async Task Probe_StoreStillFailing_StaysOpenWithoutNewWarning()
    {
        var (h, chaos, time) = StoreDeadlineTests.Create(bufferPath: true, configure: Breaker);
        using var __ = h;
        chaos.ReadFault = StoreFault.Faulted;
        for (var i = 0; i < 3; i++)
        {
            await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        }

        time.Advance(TimeSpan.FromSeconds(10));
        await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct); // the probe fails
        var readsAfterProbe = chaos.Reads;
        await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.Equal(4, readsAfterProbe);
        Assert.Equal(4, chaos.Reads);
        Assert.Single(h.LogRecords(1101));
        Assert.Single(h.LogRecords(1103));
        Assert.Empty(h.LogRecords(1102));
    }

    [Fact]
    public async Task Timeouts_CountAsFailures()
    {
        var (h, chaos, time) = StoreDeadlineTests.Create(bufferPath: true, configure: Breaker);
        using var __ = h;
        chaos.ReadFault = StoreFault.Gated;
        for (var i = 0; i < 3; i++)
        {
            var read = h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask();
            await StoreDeadlineTests.AdvanceUntilCompletedAsync(time, read);
        }

        var skipped = await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        chaos.OpenGate();

        Assert.False(skipped.HasValue);
        Assert.Equal(3, chaos.Reads);
        Assert.Single(h.LogRecords(1101));
    }

    [Fact]
    public async Task Success_BetweenFailures_ResetsTheCount()
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath: true, configure: Breaker);
        using var __ = h;
        for (var i = 0; i < 5; i++)
        {
            chaos.ReadFault = StoreFault.Faulted;
            await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
            await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
            chaos.ReadFault = StoreFault.None;
            await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        }

        Assert.Equal(15, chaos.Reads);
        Assert.Empty(h.LogRecords(1101));
    }

    [Fact]
    public async Task Breaker_DurationZero_NeverOpens()
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath: true, configure: o =>
        {
            o.CircuitBreakerFailureThreshold = 1;
            o.CircuitBreakerDuration = TimeSpan.Zero;
        });
        using var __ = h;
        chaos.ReadFault = StoreFault.Faulted;

        for (var i = 0; i < 10; i++)
        {
            await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        }

        Assert.Equal(10, chaos.Reads);
        Assert.Empty(h.LogRecords(1101));
    }

    [Fact]
    public async Task CallerCancellation_IsNotAFailure()
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath: true, configure: o => o.CircuitBreakerFailureThreshold = 1);
        using var __ = h;
        chaos.ReadFault = StoreFault.Gated;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var read = h.Cache.TryGetAsync<int>("k", cancellationToken: cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        chaos.OpenGate();
        chaos.ReadFault = StoreFault.None;

        // Another key: a read of "k" may join the canceled caller's store read, which goes on without it.
        await h.Cache.TryGetAsync<int>("other", cancellationToken: Ct);

        Assert.Equal(2, chaos.Reads);
        Assert.Empty(h.LogRecords(1101));
    }

    [Fact]
    public async Task Probe_MeetsWrongTypeKey_ClosesBreaker()
    {
        // WRONGTYPE is the store answering: a probe that gets it must close the breaker, not leave it probing for good.
        var (h, chaos, time) = StoreDeadlineTests.Create(bufferPath: true, configure: Breaker);
        using var __ = h;
        chaos.ReadFault = StoreFault.Faulted;
        for (var i = 0; i < 3; i++)
        {
            await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        }

        chaos.ReadFault = StoreFault.None;
        chaos.HoldWrongType(h.StoreKey("k"));
        time.Advance(TimeSpan.FromSeconds(10));
        await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct); // the probe meets WRONGTYPE
        await h.Cache.SetAsync("other", 2, cancellationToken: Ct);

        Assert.Single(h.LogRecords(1102));
        Assert.Equal(2, await h.Cache.GetAsync<int>("other", cancellationToken: Ct));
    }

    private static void Breaker(CacheSerialOptions o)
    {
        o.CircuitBreakerFailureThreshold = 3;
        o.CircuitBreakerDuration = TimeSpan.FromSeconds(5);
    }
}
