from .manage import (delete_take, rename_take, save_offline_take,  # noqa: F401
                     store_refined, take_video, unique_take_folder)
from .take import (TakeError, TakeWriter, find_takes, load_take, recover_take,  # noqa: F401
                   save_sequences)
