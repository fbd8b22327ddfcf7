using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Formatters;

namespace CacheSerial.MessagePack.Internal;

/// <summary>
/// Wraps the codec's resolver so that writing counts the depth of the object graph and refuses it past
/// <see cref="MessagePackSecurity.MaximumObjectGraphDepth"/>, the limit reading applies. MessagePack-CSharp 2.x bounds
/// depth only when reading: a cyclic graph recursed until the stack overflowed (which kills the process), and a graph
/// deeper than the read limit was written but could never be read back.
/// </summary>
/// <remarks>
/// Formatters of containers and objects fetch their members' formatters from <c>options.Resolver</c> on every call, so
/// every level of the graph passes through a formatter handed out here. Leaf types are handed out unwrapped (they never
/// recurse); every other formatter call counts one level, which is never less than what reading counts, so whatever
/// is written can be read back.
/// </remarks>
internal sealed class DepthLimitingResolver(IFormatterResolver inner) : IFormatterResolver
{
    [ThreadStatic]
    private static int t_depth;

    public IFormatterResolver Inner { get; } = inner;

    public IMessagePackFormatter<T>? GetFormatter<T>()
    {
        var formatter = Inner.GetFormatter<T>();
        if (formatter is null || DepthGuard<T>.IsLeaf)
        {
            return formatter;
        }

        // One wrapper per formatter instance, kept in a static per type: resolvers hand out the same formatter each time.
        var cached = DepthGuard<T>.Last;
        if (cached is null || !ReferenceEquals(cached.Inner, formatter))
        {
            cached = new DepthGuard<T>(formatter);
            DepthGuard<T>.Last = cached;
        }

        return cached;
    }

    private sealed class DepthGuard<T>(IMessagePackFormatter<T> inner) : IMessagePackFormatter<T>
    {
        public static readonly bool IsLeaf = IsLeafType(typeof(T));

        public static DepthGuard<T>? Last;

        public IMessagePackFormatter<T> Inner { get; } = inner;

        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
        {
            var limit = options.Security.MaximumObjectGraphDepth;
            if (t_depth >= limit)
            {
                throw new InsufficientExecutionStackException(
                    $"The object graph is deeper than {limit} levels (or cyclic); MessagePack cannot read such an entry back, so it is not written.");
            }

            // A custom formatter that recurses without the resolver still fails cleanly before the stack runs out.
            RuntimeHelpers.EnsureSufficientExecutionStack();
            t_depth++;
            try
            {
                Inner.Serialize(ref writer, value, options);
            }
            finally
            {
                t_depth--;
            }
        }

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
            Inner.Deserialize(ref reader, options); // reading is bounded by MessagePack itself (UntrustedData)
    }

    private static bool IsLeafType(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying.IsPrimitive || underlying.IsEnum
            || underlying == typeof(string) || underlying == typeof(decimal) || underlying == typeof(DateTime)
            || underlying == typeof(DateTimeOffset) || underlying == typeof(TimeSpan) || underlying == typeof(Guid)
            || underlying == typeof(byte[]);
    }
}
