/* Small helpers over yajl for the two JSON documents the hook reads. */
#pragma once
