namespace CacheSerial.Internal;

/// <summary>
/// Per-key change counters of this process, striped by the stored key's hash: a question about one key ("did a write
/// of this key land since I read it?") is answered by that key's stripe, so writes of other keys do not disturb it
/// (they share a stripe one time in <see cref="Stripes"/>, which costs one extra read, never a wrong answer).
/// </summary>
internal sealed class KeyGenerations
{
    /// <summary>Stripes (a power of two): 2 KiB of counters per cache.</summary>
    public const int Stripes = 256;

    private readonly long[] _counters = new long[Stripes];

    /// <summary>The stripe of a stored key's hash (<see cref="CacheKey.Hash"/>).</summary>
    public static int StripeOf(int hash) => hash & (Stripes - 1);

    public long Read(CacheKey key) => Volatile.Read(ref _counters[StripeOf(key.Hash)]);

    public long ReadStripe(int stripe) => Volatile.Read(ref _counters[stripe]);

    public void Bump(CacheKey key) => BumpStripe(StripeOf(key.Hash));

    public void BumpStripe(int stripe) => Interlocked.Increment(ref _counters[stripe]);

    /// <summary>Every key changed (a flush): no answer read before it may be kept.</summary>
    public void BumpAll()
    {
        for (var stripe = 0; stripe < Stripes; stripe++)
        {
            BumpStripe(stripe);
        }
    }
}
