using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Fakes;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Internal;

/// <summary>
/// The cache's own deadline on every store call (<see cref="CacheSerialOptions.DistributedCacheTimeout"/>), on a fake clock:
/// a store that does not answer is given up when the deadline passes, whatever the store's client would do.
/// </summary>
public sealed class StoreDeadlineTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(250);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> BufferPaths => new() { false, true };

    [Theory]
    [MemberData(nameof(BufferPaths))]
    public async Task TryGetAsync_StoreSlowerThanDeadline_IsMissLoggedAsTimeout(bool bufferPath)
    {
        var (h, chaos, time) = Create(bufferPath);
        using var _ = h;
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;

        var read = h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask();
        await AdvanceUntilCompletedAsync(time, read);

        Assert.False((await read).HasValue);
        var warning = Assert.Single(h.LogRecords(1001));
        Assert.Contains(nameof(TimeoutException), warning.Message, StringComparison.Ordinal);
        chaos.OpenGate(); // the abandoned call ends later without an unobserved exception
    }

    [Theory]
    [MemberData(nameof(BufferPaths))]
    public async Task SetAsync_StoreSlowerThanDeadline_ReturnsAndKeepsBufferUntilStoreIsDone(bool bufferPath)
    {
        var (h, chaos, time) = Create(bufferPath);
        using var _ = h;
        chaos.WriteFault = StoreFault.Gated;
        var write = h.Cache.SetAsync("k", new string('a', 2000), cancellationToken: Ct).AsTask();
        await AdvanceUntilCompletedAsync(time, write);
        await write;
        Assert.Single(h.LogRecords(1002));

        // Had the first buffer gone back to the pool, this write of the same size would reuse it and the gated write
        // would then store another key's bytes.
        chaos.WriteFault = StoreFault.None;
        await h.Cache.SetAsync("other", new string('b', 2000), cancellationToken: Ct);
        chaos.OpenGate();

        await AssertEventuallyAsync(async () => (await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).Value == new string('a', 2000));
        Assert.Equal(new string('b', 2000), await h.Cache.GetAsync<string>("other", cancellationToken: Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_StoreReadSlowerThanDeadline_RunsFactory()
    {
        var (h, chaos, time) = Create(bufferPath: true);
        using var _ = h;
        chaos.ReadFault = StoreFault.Gated;

        var call = h.Cache.GetOrCreateAsync("k", _ => new ValueTask<int>(5), cancellationToken: Ct).AsTask();
        await AdvanceUntilCompletedAsync(time, call);

        Assert.Equal(5, await call);
        chaos.OpenGate();
    }

    [Fact]
    public async Task TryGetAsync_CallerCancelsDuringSlowRead_ThrowsOperationCanceled()
    {
        var (h, chaos, _) = Create(bufferPath: true);
        using var __ = h;
        chaos.ReadFault = StoreFault.Gated;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var read = h.Cache.TryGetAsync<int>("k", cancellationToken: cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        Assert.Empty(h.LogRecords(1001));
        chaos.OpenGate();
    }

    [Fact]
    public async Task TryGetAsync_InfiniteDeadline_WaitsForTheStore()
    {
        var (h, chaos, time) = Create(bufferPath: true, timeout: Timeout.InfiniteTimeSpan);
        using var _ = h;
        await h.Cache.SetAsync("k", 1, cancellationToken: Ct);
        chaos.ReadFault = StoreFault.Gated;

        var read = h.Cache.TryGetAsync<int>("k", cancellationToken: Ct).AsTask();
        time.Advance(TimeSpan.FromMinutes(1)); // far past any finite deadline, within the entry's lifetime
        await Task.WhenAny(read, Task.Delay(50, Ct));
        var completedBeforeGate = read.IsCompleted;
        chaos.OpenGate();

        Assert.False(completedBeforeGate);
        Assert.Equal(1, (await read).Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_HardTimeoutDuringSlowWriteOfFastFactory_ReturnsFactoryValue()
    {
        // Only the factory's time counts against factory timeouts: a store write still running is not a factory timeout.
        var (h, chaos, time) = Create(bufferPath: true, timeout: TimeSpan.FromMinutes(10));
        using var _ = h;
        chaos.WriteFault = StoreFault.Gated;
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromHours(1), FactoryHardTimeout = TimeSpan.FromSeconds(1) };

        var call = h.Cache.GetOrCreateAsync("k", _ => new ValueTask<int>(5), options, Ct).AsTask();

        // The factory has returned once its write waits at the gate; only then does the clock pass the hard timeout (a
        // clock advanced before the factory's thread ran would time out the factory itself, another test's case).
        await AssertEventuallyAsync(() => Task.FromResult(chaos.Writes == 1));
        await AdvanceUntilCompletedAsync(time, call);
        chaos.OpenGate();

        Assert.Equal(5, await call);
        Assert.Empty(h.LogRecords(4007));
        await AssertEventuallyAsync(async () => await h.Cache.GetAsync<int>("k", cancellationToken: Ct) == 5); // the write lands after the gate opens
    }

    internal static (CacheHarness Harness, ChaosDistributedCache Chaos, FakeTimeProvider Time) Create(
        bool bufferPath, TimeSpan? timeout = null, Action<CacheSerialOptions>? configure = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var chaos = ChaosDistributedCache.Wrap(bufferPath ? InMemoryStores.CreateBuffered() : InMemoryStores.Create());
        var h = new CacheHarness(chaos, o =>
        {
            o.DistributedCacheTimeout = timeout ?? Deadline;
            configure?.Invoke(o);
        }, timeProvider: time);
        return (h, chaos, time);
    }

    internal static async Task AdvanceUntilCompletedAsync(FakeTimeProvider time, Task call)
    {
        for (var i = 0; i < 1000 && !call.IsCompleted; i++)
        {
            time.Advance(Deadline);
            await Task.WhenAny(call, Task.Delay(10, Ct));
        }

        Assert.True(call.IsCompleted, "the call never completed");
    }

    internal static async Task AssertEventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 500; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(10, Ct);
        }

        Assert.Fail("the condition never held");
    }
}
