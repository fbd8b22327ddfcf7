using System.Buffers;
using CacheSerial.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Internal.Tiers;

/// <summary>
/// A store call the cache gave up on at its deadline that then fails: its real error is logged (warning 1009 with the
/// type, debug 1010 with the exception), so an unreachable store does not look like a slow one.
/// </summary>
public sealed class AbandonedStoreCallTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TryGetAsync_ReadFailsAfterTheDeadline_LogsItsRealErrorWithoutTheKey()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new LateStore();
        using var node = new CacheNode(store, time, CacheHarness.NewPrefix(), o => o.DistributedCacheTimeout = TimeSpan.FromMilliseconds(100));

        var read = node.Cache.TryGetAsync<string>("secret-key", cancellationToken: Ct).AsTask();
        while (!read.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.WhenAny(read, Task.Delay(10, Ct));
        }

        Assert.False((await read).HasValue); // given up at the deadline: a miss, reported as a timeout
        Assert.Contains(nameof(TimeoutException), Assert.Single(node.LogRecords(1001)).Message, StringComparison.Ordinal);
        Assert.Empty(node.LogRecords(1009));

        store.Fail(new UnreachableStoreException("UnableToConnect on 127.0.0.1:1 (secret-key)"));

        // Only a guard against hanging if the line never comes (the log follows the failure at once when it works).
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(TimeSpan.FromMinutes(1));
        await node.WhenLoggedAsync(1010, guard.Token); // logged right after 1009

        var warning = Assert.Single(node.LogRecords(1009));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(nameof(UnreachableStoreException), warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-key", warning.Message, StringComparison.Ordinal);
        var detail = Assert.Single(node.LogRecords(1010));
        Assert.Equal(LogLevel.Debug, detail.Level);
        Assert.IsType<UnreachableStoreException>(detail.Exception);
    }

    private sealed class UnreachableStoreException(string message) : Exception(message);

    /// <summary>A store whose reads answer only when the test says, by failing.</summary>
    private sealed class LateStore : ICacheStore
    {
        private readonly TaskCompletionSource<CacheStoreLease> _read = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Fail(Exception exception) => _read.TrySetException(exception);

        public ValueTask<CacheStoreLease> GetAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default) =>
            new(_read.Task);

        public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default) => default;

        public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) => default;

        public ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default) => default;
    }
}
