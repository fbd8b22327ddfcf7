using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.TestSupport.Fakes;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows which timers (a <c>Task.Delay</c> or a <c>WaitAsync</c> timeout on this
/// clock) are armed, so a test moves time forward only while code is waiting on the clock, instead of sleeping.
/// </summary>
public sealed class SteppingTimeProvider : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<(int After, TaskCompletionSource Created)> _watchers = [];
    private int _created;
    private int _armed;

    public SteppingTimeProvider()
        : base(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>How many one-shot timers are armed: created, not yet fired and not disposed.</summary>
    public int ArmedTimers => Volatile.Read(ref _armed);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        // Every timer is tracked: a one-shot timer (Task.Delay, a WaitAsync timeout) is armed until it fires or is
        // disposed; a timer started later with Change (the cache's store deadline ticks that way) is armed while running.
        var tracked = new TrackedTimer(this, period);
        tracked.Attach(base.CreateTimer(
            static s =>
            {
                var (timer, inner, innerState) = ((TrackedTimer, TimerCallback, object?))s!;
                timer.OnFired();
                inner(innerState);
            },
            (tracked, callback, state),
            dueTime,
            period));
        tracked.SetArmed(dueTime != Timeout.InfiniteTimeSpan);
        return tracked;
    }

    private void OnArmed()
    {
        Interlocked.Increment(ref _armed);
        lock (_gate)
        {
            _created++;
            for (var i = _watchers.Count - 1; i >= 0; i--)
            {
                if (_created > _watchers[i].After)
                {
                    _watchers[i].Created.TrySetResult();
                    _watchers.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>
    /// Until <paramref name="task"/> ends (the caller then awaits it for its outcome): while a timer is armed, advances
    /// the clock by <paramref name="step"/> and lets the woken code run; while none is, waits for one to be created.
    /// Code that polls on this clock therefore runs until it is done, whatever the machine's speed; time moves only while
    /// something waits on it.
    /// </summary>
    public async Task RunUntilAsync(Task task, TimeSpan step, CancellationToken cancellationToken)
    {
        while (!task.IsCompleted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var seen = Volatile.Read(ref _created);
            if (ArmedTimers == 0)
            {
                await Task.WhenAny(task, TimerCreatedAfter(seen)).WaitAsync(cancellationToken);
                continue;
            }

            Advance(step);
            await Task.Yield();
        }
    }

    private Task TimerCreatedAfter(int count)
    {
        lock (_gate)
        {
            if (_created > count)
            {
                return Task.CompletedTask;
            }

            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _watchers.Add((count, created));
            return created.Task;
        }
    }

    /// <summary>A timer that counts as armed while it is due to fire: until a one-shot fires, while a periodic one runs.</summary>
    private sealed class TrackedTimer(SteppingTimeProvider owner, TimeSpan period) : ITimer
    {
        private readonly Lock _gate = new();
        private ITimer? _inner;
        private TimeSpan _period = period;
        private bool _armed;

        public void Attach(ITimer inner) => _inner = inner;

        public void SetArmed(bool armed)
        {
            lock (_gate)
            {
                if (armed == _armed)
                {
                    return;
                }

                _armed = armed;
            }

            if (armed)
            {
                owner.OnArmed();
            }
            else
            {
                Interlocked.Decrement(ref owner._armed);
            }
        }

        public void OnFired()
        {
            if (_period == Timeout.InfiniteTimeSpan)
            {
                SetArmed(false);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            var changed = _inner!.Change(dueTime, period);
            SetArmed(dueTime != Timeout.InfiniteTimeSpan);
            return changed;
        }

        public void Dispose()
        {
            SetArmed(false);
            _inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            SetArmed(false);
            return _inner?.DisposeAsync() ?? default;
        }
    }
}
