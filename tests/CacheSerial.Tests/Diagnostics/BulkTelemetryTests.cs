using System.Collections.Concurrent;
using System.Diagnostics;

namespace CacheSerial.Tests.Diagnostics;

/// <summary>Bulk calls report like single ones: one activity per call (with the batch size), one lookup per distinct key.</summary>
public sealed class BulkTelemetryTests : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public BulkTelemetryTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "CacheSerial",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task BulkCalls_EachRecordOneActivityWithBatchSizeAndNoKey()
    {
        await using var h = new TelemetryHarness();

        await h.Cache.SetManyAsync<int>([new("secret-a", 1), new("secret-b", 2)], cancellationToken: Ct);
        await h.Cache.GetManyAsync<int>(["secret-a", "secret-b", "secret-a"], cancellationToken: Ct);
        await h.Cache.GetOrCreateManyAsync<int>(["secret-a", "secret-c"], static (keys, _) =>
            new ValueTask<IReadOnlyDictionary<string, int>>(keys.ToDictionary(k => k, _ => 3)), cancellationToken: Ct);

        var activities = Of(h);
        Assert.Equal(["cacheserial.set_many", "cacheserial.get_many", "cacheserial.get_or_create_many"], activities.Select(a => a.OperationName));
        Assert.Equal([2, 3, 2], activities.Select(a => (int?)a.GetTagItem("cacheserial.batch.size")));
        Assert.Equal(["set_many", "get_many", "get_or_create_many"], activities.Select(a => (string?)a.GetTagItem("cacheserial.operation")));
        Assert.Equal(true, activities[2].GetTagItem("cacheserial.factory.ran"));
        Assert.All(activities, a => Assert.Equal("ok", a.GetTagItem("cacheserial.outcome")));
        Assert.All(activities.SelectMany(a => a.TagObjects), t => Assert.DoesNotContain("secret", t.Value?.ToString() ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_FactoryThrows_ErrorStatusAndOneFactoryFailure()
    {
        await using var h = new TelemetryHarness();
        using var runs = h.Collect<long>("cacheserial.factory.runs");
        using var failures = h.Collect<long>("cacheserial.factory.failures");

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await h.Cache.GetOrCreateManyAsync<int>(["a", "b"], static (_, _) => throw new InvalidOperationException("down"), cancellationToken: Ct));

        var call = Assert.Single(Of(h));
        Assert.Equal(ActivityStatusCode.Error, call.Status);
        Assert.Equal(typeof(InvalidOperationException).FullName, call.GetTagItem("error.type"));
        Assert.Single(runs.GetMeasurementSnapshot());
        Assert.Single(failures.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task GetManyAsync_DuplicateKeys_OneLookupPerDistinctKey()
    {
        await using var h = new TelemetryHarness();
        using var hits = h.Collect<long>("cacheserial.hits");
        using var misses = h.Collect<long>("cacheserial.misses");
        await h.Cache.SetAsync("a", 1, cancellationToken: Ct);

        await h.Cache.GetManyAsync<int>(["a", "a", "b", "b", "c"], cancellationToken: Ct);

        Assert.Single(hits.GetMeasurementSnapshot());
        Assert.Equal(2, misses.GetMeasurementSnapshot().Count);
        Assert.Equal(3, h.Store.Reads); // the default multi-key read: one single read per distinct key
    }

    private Activity[] Of(TelemetryHarness h) =>
        [.. _stopped.Where(a => (string?)a.GetTagItem("cache.name") == h.Name)];
}
