using CacheSerial.Internal;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Internal.Tiers.Memory;

/// <summary>The memory tier's clock: exact with a test's clock, an estimate within <see cref="MemoryClock.Slack"/> of the
/// wall clock with the system's.</summary>
public sealed class MemoryClockTests
{
    [Fact]
    public void NowMs_FakeTimeProvider_ReadsItExactlyEveryTime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));
        var clock = new MemoryClock(time);

        var first = clock.NowMs();
        time.Advance(TimeSpan.FromMilliseconds(7));

        Assert.Equal(1_000_000, first);
        Assert.Equal(1_000_007, clock.NowMs());
    }

    [Fact]
    public void NowMs_SystemClock_WithinSlackOfTheWallClock()
    {
        var clock = new MemoryClock(TimeProvider.System);
        for (var i = 0; i < 2_000; i++)
        {
            // Bracketed by two exact reads: a stall between them widens the window, so it cannot make this fail.
            var before = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
            var estimate = clock.NowMs();
            var after = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();

            Assert.InRange(estimate, before - MemoryClock.Slack, after + MemoryClock.Slack);
            if (i % 100 == 0)
            {
                Thread.Sleep(1); // let the estimate run across ticks and a resynchronisation
            }
        }
    }
}
