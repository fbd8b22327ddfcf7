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
        // Only the one-shot timers Task.Delay and WaitAsync create are tracked; others pass through.
        if (dueTime == Timeout.InfiniteTimeSpan || period != Timeout.InfiniteTimeSpan)
        {
            return base.CreateTimer(callback, state, dueTime, period);
        }

        var tracked = new TrackedTimer(this);
        Interlocked.Increment(ref _armed);
        tracked.Attach(base.CreateTimer(
            static s =>
            {
                var (timer, inner, innerState) = ((TrackedTimer, TimerCallback, object?))s!;
                timer.Finish();
                inner(innerState);
            },
            (tracked, callback, state),
            dueTime,
            period));
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

        return tracked;
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

    /// <summary>A one-shot timer that stops counting as armed when it fires or is disposed, whichever comes first.</summary>
    private sealed class TrackedTimer(SteppingTimeProvider owner) : ITimer
    {
        private ITimer? _inner;
        private int _finished;

        public void Attach(ITimer inner) => _inner = inner;

        public void Finish()
        {
            if (Interlocked.Exchange(ref _finished, 1) == 0)
            {
                Interlocked.Decrement(ref owner._armed);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => _inner!.Change(dueTime, period);

        public void Dispose()
        {
            Finish();
            _inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Finish();
            return _inner?.DisposeAsync() ?? default;
        }
    }
}
