using CacheSerial.TestSupport.Envelopes;
using Microsoft.Extensions.Logging;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// <see cref="CacheSerialOptions.MaximumPayloadBytes"/>: an oversized value is returned but not stored (warning 3001),
/// an oversized stored entry is a miss.
/// </summary>
public abstract class PayloadLimitBehaviourTests : BehaviourTestBase
{
    private static readonly string Big = new('x', 500);

    [Fact]
    public async Task GetOrCreateAsync_ValueOverLimit_ReturnedButNotStoredAndWarned()
    {
        using var h = CreateHarness(o => o.MaximumPayloadBytes = 100);
        var runs = new Counter();

        var value = await h.Cache.GetOrCreateAsync("k", Counting(runs, Big), cancellationToken: Ct);
        var stored = await h.Cache.TryGetAsync<string>("k", cancellationToken: Ct);

        Assert.Equal(Big, value);
        Assert.False(stored.HasValue);
        Assert.Null(await h.ReadRawAsync("k", Ct));
        var warning = Assert.Single(h.LogRecords(3001));
        Assert.Equal(LogLevel.Warning, warning.Level);
    }

    [Fact]
    public async Task SetAsync_ValueOverLimit_NotStoredAndWarned()
    {
        using var h = CreateHarness(o => o.MaximumPayloadBytes = 100);

        await h.Cache.SetAsync("k", Big, cancellationToken: Ct);

        Assert.Null(await h.ReadRawAsync("k", Ct));
        Assert.Single(h.LogRecords(3001));
    }

    [Fact]
    public async Task SetAsync_ValueOverLimit_LeavesPreviousEntryUntouched()
    {
        using var h = CreateHarness(o => o.MaximumPayloadBytes = 100);
        await h.Cache.SetAsync("k", "small", cancellationToken: Ct);

        await h.Cache.SetAsync("k", Big, cancellationToken: Ct);

        Assert.Equal("small", await h.Cache.GetAsync<string>("k", cancellationToken: Ct));
    }

    [Fact]
    public async Task PayloadExactlyAtLimit_IsStored_OneByteOverIsNot()
    {
        using var probe = CreateHarness();
        await probe.Cache.SetAsync("k", Big, cancellationToken: Ct);
        var payloadBytes = EnvelopeBytes.Parse((await probe.ReadRawAsync("k", Ct))!).PayloadLength;
        using var atLimit = CreateHarness(o => o.MaximumPayloadBytes = payloadBytes);
        using var belowLimit = CreateHarness(o => o.MaximumPayloadBytes = payloadBytes - 1);

        await atLimit.Cache.SetAsync("k", Big, cancellationToken: Ct);
        await belowLimit.Cache.SetAsync("k", Big, cancellationToken: Ct);

        Assert.Equal(Big, await atLimit.Cache.GetAsync<string>("k", cancellationToken: Ct));
        Assert.Null(await belowLimit.ReadRawAsync("k", Ct));
    }

    [Fact]
    public async Task StoredEntryOverReaderLimit_IsMiss()
    {
        using var writer = CreateHarness();
        using var reader = CreateHarness(o => o.MaximumPayloadBytes = 100, prefix: writer.Prefix);
        await writer.Cache.SetAsync("k", Big, cancellationToken: Ct);
        var runs = new Counter();

        var read = await reader.Cache.TryGetAsync<string>("k", cancellationToken: Ct);
        var created = await reader.Cache.GetOrCreateAsync("k", Counting(runs, "small"), cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Equal("small", created);
        Assert.Equal(1, runs.Value);
        Assert.Equal("small", await reader.Cache.GetAsync<string>("k", cancellationToken: Ct));
        Assert.NotEmpty(reader.LogRecords(2001));
    }

    [Fact]
    public async Task StoredEntryOverReaderLimit_ThrowPolicy_ReportsPayloadTooLarge()
    {
        using var writer = CreateHarness();
        using var reader = CreateHarness(
            o =>
            {
                o.MaximumPayloadBytes = 100;
                o.OnDeserializationFailure = DeserializationFailureBehavior.Throw;
            },
            prefix: writer.Prefix);
        await writer.Cache.SetAsync("k", Big, cancellationToken: Ct);

        var ex = await Assert.ThrowsAsync<CacheEntryRejectedException>(
            async () => await reader.Cache.TryGetAsync<string>("k", cancellationToken: Ct));

        Assert.Equal(CacheEntryRejectReason.PayloadTooLarge, ex.Reason);
    }

    [Fact]
    public async Task NullValue_IsStoredEvenWithTinyLimit()
    {
        using var h = CreateHarness(o => o.MaximumPayloadBytes = 1);

        await h.Cache.SetAsync<string?>("k", null, cancellationToken: Ct);

        var result = await h.Cache.TryGetAsync<string?>("k", cancellationToken: Ct);
        Assert.True(result.HasValue);
        Assert.Null(result.Value);
    }
}
