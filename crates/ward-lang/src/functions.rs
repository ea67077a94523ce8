//! The built-in functions: names, arities and which argument is a `v => …` function.
//! Their types are computed by the checker; their behaviour lives in `ward-engine`.

macro_rules! builtins {
    ($($variant:ident = $name:literal, $min:expr, $max:expr, $lambda:expr;)*) => {
        /// A built-in function.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Builtin { $($variant),* }

        impl Builtin {
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Builtin::$variant => $name),* }
            }

            /// Fewest and most arguments (`usize::MAX`: any number).
            pub fn arity(self) -> (usize, usize) {
                match self { $(Builtin::$variant => ($min, $max)),* }
            }

            /// The position of the `v => …` argument, if the function takes one.
            pub fn lambda_position(self) -> Option<usize> {
                match self { $(Builtin::$variant => $lambda),* }
            }
        }
    };
}

const MANY: usize = usize::MAX;

builtins! {
    Count = "count", 1, 2, Some(1);
    Any = "any", 2, 2, Some(1);
    All = "all", 2, 2, Some(1);
    None = "none", 2, 2, Some(1);
    Filter = "filter", 2, 2, Some(1);
    Map = "map", 2, 2, Some(1);
    SortBy = "sort_by", 2, 2, Some(1);
    First = "first", 1, 1, Option::None;
    Last = "last", 1, 1, Option::None;
    Flatten = "flatten", 1, 1, Option::None;
    Distinct = "distinct", 1, 1, Option::None;
    Concat = "concat", 1, MANY, Option::None;
    Sum = "sum", 1, 1, Option::None;
    Min = "min", 1, 1, Option::None;
    Max = "max", 1, 1, Option::None;
    Len = "len", 1, 1, Option::None;
    Keys = "keys", 1, 1, Option::None;
    Values = "values", 1, 1, Option::None;
    Get = "get", 2, 2, Option::None;
    AsList = "as_list", 1, 1, Option::None;
    Exists = "exists", 1, 1, Option::None;
    Default = "default", 2, 2, Option::None;
    Bool = "bool", 1, 1, Option::None;
    Number = "number", 1, 1, Option::None;
    String = "string", 1, 1, Option::None;
    Lower = "lower", 1, 1, Option::None;
    Upper = "upper", 1, 1, Option::None;
    Trim = "trim", 1, 1, Option::None;
    StartsWith = "starts_with", 2, 2, Option::None;
    EndsWith = "ends_with", 2, 2, Option::None;
    Contains = "contains", 2, 2, Option::None;
    Split = "split", 2, 2, Option::None;
    Join = "join", 2, 2, Option::None;
    Matches = "matches", 2, 2, Option::None;
    Wildcard = "wildcard", 2, 2, Option::None;
    IsWorld = "is_world", 1, 1, Option::None;
    CidrContains = "cidr_contains", 2, 2, Option::None;
    IsPrivateCidr = "is_private_cidr", 1, 1, Option::None;
    ProtocolMatches = "protocol_matches", 2, 2, Option::None;
    PortInRange = "port_in_range", 4, 4, Option::None;
    RangesOverlap = "ranges_overlap", 4, 4, Option::None;
    Statements = "statements", 1, 1, Option::None;
    ActionMatches = "action_matches", 2, 2, Option::None;
    Allows = "allows", 3, 3, Option::None;
    Now = "now", 0, 0, Option::None;
    AgeDays = "age_days", 1, 1, Option::None;
    DaysBetween = "days_between", 2, 2, Option::None;
    AgeHours = "age_hours", 1, 1, Option::None;
    HoursBetween = "hours_between", 2, 2, Option::None;
    TypeOf = "type_of", 1, 1, Option::None;
    ParseJson = "parse_json", 1, 1, Option::None;
    Lookup = "lookup", 2, 2, Option::None;
    LookupArn = "lookup_arn", 1, 1, Option::None;
    Related = "related", 1, 1, Option::None;
    Resources = "resources", 1, 1, Option::None;
}

impl Builtin {
    pub fn by_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// Functions that accept absent arguments instead of propagating absence.
    pub fn accepts_absent(self) -> bool {
        matches!(
            self,
            Builtin::Exists | Builtin::Default | Builtin::AsList | Builtin::PortInRange
        )
    }

    /// Whether the lambda argument is optional (`count(xs)` and `count(xs, f)`).
    pub fn lambda_optional(self) -> bool {
        matches!(self, Builtin::Count)
    }
}
