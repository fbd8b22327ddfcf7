using CacheSerial.TestSupport.Fakes;

namespace CacheSerial.Tests.Internal;

/// <summary>
/// A key that another client filled with a value of another kind (Redis answers WRONGTYPE): a read is a miss, a write
/// deletes the key and retries once, and neither counts against the store's health.
/// </summary>
public sealed class WrongTypeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> BufferPaths => new() { false, true };

    [Theory]
    [MemberData(nameof(BufferPaths))]
    public async Task SetAsync_KeyHoldsOtherKind_DeletesAndRetriesOnce(bool bufferPath)
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath);
        using var __ = h;
        chaos.HoldWrongType(h.StoreKey("k"));

        await h.Cache.SetAsync("k", 3, cancellationToken: Ct);

        Assert.Equal(3, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
        Assert.Equal(1, chaos.Removes);
        Assert.Equal(2, chaos.Writes);
        Assert.Single(h.LogRecords(1008));
        Assert.Empty(h.LogRecords(1002));
    }

    [Theory]
    [MemberData(nameof(BufferPaths))]
    public async Task GetOrCreateAsync_KeyHoldsOtherKind_MissThenReplaced(bool bufferPath)
    {
        var (h, chaos, _) = StoreDeadlineTests.Create(bufferPath, configure: o => o.CircuitBreakerFailureThreshold = 1);
        using var __ = h;
        chaos.HoldWrongType(h.StoreKey("k"));

        var value = await h.Cache.GetOrCreateAsync("k", _ => new ValueTask<int>(8), cancellationToken: Ct);

        Assert.Equal(8, value);
        Assert.Equal(8, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
        Assert.Single(h.LogRecords(1007));
        Assert.Empty(h.LogRecords(1001));
        Assert.Empty(h.LogRecords(1101)); // a data problem, not an unhealthy store
    }
}
